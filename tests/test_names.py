"""Names keep the order they were written in (issue 14): LinkedIn's First/Last split is turned
family-name-first only when it can tell a Vietnamese name; "Emma, Nguyen" stays Emma Nguyen."""

import json


def test_linkedin_names_are_reordered_only_when_vietnamese(cli, tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Emma,Nguyen,https://linkedin.com/in/emma,,Acme,Buyer,01 Jan 2024\n"
        "Văn An,Nguyễn,https://linkedin.com/in/an,,Minh Phát,CEO,01 Jan 2024\n"
        "Minh Anh,Nguyen,https://linkedin.com/in/minhanh,,Sao Mai,CFO,01 Jan 2024\n"
        "Peter,Tran,https://linkedin.com/in/peter,,Acme,CTO,01 Jan 2024\n"
        "Thu Hà,Lê,https://linkedin.com/in/ha,,Hòa Bình,Buyer,01 Jan 2024\n"
        "Sarah,Collins,https://linkedin.com/in/sarah,,Pacific,Buyer,01 Jan 2024\n",
        encoding="utf-8")
    cli("import", str(path))
    names = [r["name"] for r in json.loads(cli("export", "-f", "json").out)]
    assert names == ["Emma Nguyen", "Nguyễn Văn An", "Nguyen Minh Anh", "Peter Tran",
                     "Lê Thu Hà", "Sarah Collins"]
    # found without accents either way
    assert cli("show", "nguyen van an").out.startswith("#2 Nguyễn Văn An")
    assert cli("show", "emma").out.startswith("#1 Emma Nguyen")
