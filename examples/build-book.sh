#!/usr/bin/env bash
# Build a small book of relationships with relcrm's own commands, then export it to CSV.
#
#   examples/build-book.sh [FOLDER]      (default: ./relcrm-example)
#
# Leaves FOLDER/book.db and FOLDER/{prospects,touches,calls,stages,qualifications,followups}.csv.
# It never touches your own book: RELCRM_DB points at the example's file.
set -euo pipefail

out=${1:-relcrm-example}
mkdir -p "$out"
export RELCRM_DB="$out/book.db"
rm -f "$RELCRM_DB" "$RELCRM_DB-wal" "$RELCRM_DB-shm"

# Prospects: --quiet prints just the new id, for use in scripts.
an=$(relcrm add "Nguyễn Văn An" --company "Minh Phát" --title "Purchasing manager" \
       --email an.nguyen@minhphat.vn --tag manufacturing --value 450,000,000 --quiet)
binh=$(relcrm add "Trần Thị Bình" --company "Hòa Bình Logistics" --title CFO \
         --source referral --next tomorrow --next-step "intro call" --quiet)
cuong=$(relcrm add "Lê Hoàng Cường" --company "Cường Phát Furniture" --phone "0912 345 678" \
          --tag event --quiet)

# Qualify: need, budget, authority (yes / partial / no / unknown).
relcrm qualify "$an" --need yes --budget partial --authority yes --note "budget after Q1"
relcrm qualify "$cuong" --need partial --budget no --note "no budget this year"

# A SPIN sales call, then the relationship moves on.
relcrm call "$an" --situation "3 packing lines, 2 shifts" --problem "film tears at high speed" \
  --implication "4 h downtime a week" --explicit-need "film that holds at speed" \
  --outcome advance --commitment "trial on line 2" --next "+1w" --minutes 40
relcrm stage advance "$an" --reason "trial agreed"

# Other touches. A touch closes a planned step only when you say so (--done).
relcrm log "$binh" call "intro call, interested in route planning" --done
relcrm log "$binh" email "sent the case study"

# Everything out again, as CSV.
for entity in prospects touches calls stages qualifications; do
  relcrm export "$entity" --output "$out/$entity.csv"
done
relcrm followups --days 14 --format csv > "$out/followups.csv"
echo "Built $RELCRM_DB and exported CSV files to $out/" >&2
