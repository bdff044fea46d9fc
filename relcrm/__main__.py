"""python -m relcrm"""

from relcrm.cli import main

if __name__ == "__main__":
    main()
