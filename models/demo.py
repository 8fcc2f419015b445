"""The demo organisation loaded on first start, and the equipment vocabulary the bench
generator shares: believable names, so a new user can judge the product by it."""

import datetime
import random

from . import (
    alerts,
    demo_alerts,
    demo_checklists,
    demo_records,
    demo_reports,
    demo_schedules,
    demo_signoff,
)
from .asset import Asset
from .base import db
from .client import Client
from .demo_registry import add_documents, add_meters
from .demo_work import add_work_orders
from .location import Location
from .organisation import Organisation
from .project import Project
from .user import ManagerLocation, ProjectMember, User

DEMO_PASSWORD = "fettle-demo"
DEMO_USERS = (
    ("admin@example.com", "Alex Morgan", "admin"),
    ("manager@example.com", "Maria Santos", "manager"),
    ("tech@example.com", "Tom Becker", "technician"),
    ("client@example.com", "Claire Dubois", "client"),
)

LOCATIONS = (
    ("Manchester", "Europe/London", "Unit 4, Trafford Park Road\nManchester M17 1HH\nUK"),
    ("Rotterdam", "Europe/Amsterdam", "Waalhaven Oostzijde 12\n3087 BM Rotterdam\nNetherlands"),
    ("Boston", "America/New_York", "225 Summer Street\nBoston, MA 02210\nUSA"),
)

CLIENTS = (
    (
        "Northgate Mall Ltd",
        0,
        "Helen Price",
        "facilities@northgatemall.example",
        "+44 161 555 0142",
    ),
    (
        "Riverside General Hospital",
        0,
        "Dr. Imran Shah",
        "estates@riverside-hospital.example",
        "+44 161 555 0199",
    ),
    ("Oakwood Schools Trust", 0, "Gareth Lewis", "premises@oakwood.example", "+44 161 555 0175"),
    ("Harbour View Hotels", 1, "Sanne de Vries", "techniek@harbourview.example", "+31 10 555 0123"),
    ("Quayside Data Centres", 1, "Pieter Janssen", "ops@quayside-dc.example", "+31 10 555 0188"),
    ("Bluebell Foods", 1, "Anouk Visser", "kitchens@bluebell.example", "+31 10 555 0131"),
    (
        "Meridian Office REIT",
        2,
        "Laura Chen",
        "engineering@meridianreit.example",
        "+1 617 555 0110",
    ),
    (
        "Lakeshore University",
        2,
        "Marcus Reed",
        "physicalplant@lakeshore.example",
        "+1 617 555 0164",
    ),
)

PROJECTS = (
    (0, "NGM-HV", "Mall HVAC maintenance contract"),
    (0, "NGM-LF", "Lifts and escalators"),
    (0, "NGM-FS", "Fire safety systems"),
    (1, "RGH-PL", "Hospital plant rooms"),
    (1, "RGH-FS", "Fire alarm and sprinklers"),
    (1, "RGH-KT", "Main kitchen equipment"),
    (2, "OST-HV", "Heating and ventilation, 6 schools"),
    (2, "OST-FS", "Fire safety, 6 schools"),
    (3, "HVH-HV", "Hotel HVAC, Maas tower"),
    (3, "HVH-KT", "Hotel kitchens"),
    (3, "HVH-LF", "Hotel lifts"),
    (4, "QDC-EL", "Critical power: UPS and generators"),
    (4, "QDC-CO", "Cooling plant, hall A-C"),
    (5, "BBF-KT", "Production kitchen, Botlek"),
    (5, "BBF-RF", "Cold rooms and refrigeration"),
    (6, "MOR-HV", "One Meridian Plaza HVAC"),
    (6, "MOR-LF", "Meridian vertical transport"),
    (6, "MOR-FS", "Life safety systems"),
    (7, "LSU-PL", "Central heating plant"),
    (7, "LSU-HV", "Campus buildings HVAC"),
)

# category: (tag prefix, name stem, [(make, [models])], [component names], project kinds)
EQUIPMENT = {
    "Air handling unit": (
        "AHU",
        "Air handling unit",
        [
            ("Daikin", ["D-AHU Professional", "D-AHU Modular R"]),
            ("Trane", ["CLCP 21", "Performance Climate Changer"]),
            ("Carrier", ["39HQ", "39CQ"]),
        ],
        ["Supply fan", "Extract fan", "Filter bank"],
        "HV CO PL",
    ),
    "Chiller": (
        "CH",
        "Chiller",
        [
            ("Carrier", ["30XA 1002", "AquaForce 30XW"]),
            ("Trane", ["RTAC 300", "CenTraVac CVHE"]),
            ("York", ["YVAA 0350", "YK Centrifugal"]),
        ],
        ["Compressor 1", "Compressor 2", "Condenser fan deck"],
        "HV CO PL",
    ),
    "Boiler": (
        "BLR",
        "Boiler",
        [
            ("Viessmann", ["Vitocrossal 200", "Vitoplex 300"]),
            ("Bosch", ["UT-L 4", "Uni 3000F"]),
            ("Hoval", ["UltraGas 250"]),
        ],
        ["Burner", "Flue fan"],
        "HV PL",
    ),
    "Rooftop unit": (
        "RTU",
        "Rooftop unit",
        [("Lennox", ["Baltic BAH 075", "e-Baltic"]), ("Carrier", ["50FC", "WeatherMaker 48TC"])],
        [],
        "HV",
    ),
    "Fan coil unit": (
        "FCU",
        "Fan coil unit",
        [("Daikin", ["FWB07", "FWD10"]), ("Carrier", ["42N", "Idrofan 42NH"])],
        [],
        "HV",
    ),
    "Cooling tower": (
        "CT",
        "Cooling tower",
        [("BAC", ["Series 3000", "VTL-E"]), ("Evapco", ["AT 14-69", "eco-ATWB"])],
        ["Fan motor", "Spray pump"],
        "CO PL",
    ),
    "Passenger lift": (
        "LFT",
        "Passenger lift",
        [
            ("Otis", ["Gen2 Life", "Gen2 Premier"]),
            ("Schindler", ["3300", "5500"]),
            ("KONE", ["MonoSpace 700", "MiniSpace DX"]),
        ],
        ["Lift controller", "Door operator"],
        "LF",
    ),
    "Escalator": (
        "ESC",
        "Escalator",
        [("KONE", ["TravelMaster 110"]), ("Otis", ["520 NCE"]), ("Schindler", ["9300"])],
        ["Drive unit", "Handrail drive"],
        "LF",
    ),
    "Fire alarm panel": (
        "FAP",
        "Fire alarm panel",
        [
            ("Advanced", ["MxPro 5", "Axis EN"]),
            ("Gent", ["Vigilon Compact"]),
            ("Notifier", ["NFS2-3030"]),
        ],
        ["Loop card", "Standby batteries"],
        "FS",
    ),
    "Sprinkler pump set": (
        "SPK",
        "Sprinkler pump set",
        [("Grundfos", ["Fire NKF", "Fire HSEF"]), ("Armstrong", ["4600 Fire Pump"])],
        ["Jockey pump", "Diesel pump"],
        "FS",
    ),
    "Fire extinguisher": (
        "EXT",
        "Fire extinguisher",
        [("Chubb", ["6L Foam", "2kg CO2", "9kg Powder"]), ("Gloria", ["PD6GA", "KS5ST"])],
        [],
        "FS",
    ),
    "Emergency lighting": (
        "EML",
        "Emergency lighting circuit",
        [("Eaton", ["CGLine+", "Zone Pro"]), ("Cooper", ["Safelite"])],
        [],
        "FS",
    ),
    "Combi oven": (
        "OVN",
        "Combi oven",
        [
            ("Rational", ["iCombi Pro 10-1/1", "iCombi Pro 20-1/1"]),
            ("Convotherm", ["maxx pro 10.20"]),
        ],
        [],
        "KT",
    ),
    "Dishwasher": (
        "DW",
        "Dishwasher",
        [("Hobart", ["Profi FXS", "PROFI AMXXL"]), ("Winterhalter", ["PT-M", "MTR"])],
        [],
        "KT",
    ),
    "Cold room": (
        "CR",
        "Walk-in cold room",
        [("Foster", ["Modular Cold Room", "Fosterpak"]), ("Williams", ["Coldroom CRV"])],
        ["Evaporator", "Condensing unit"],
        "KT RF",
    ),
    "Standby generator": (
        "GEN",
        "Standby generator",
        [
            ("Cummins", ["C150D5", "C1100D5B"]),
            ("Caterpillar", ["C15 500 kVA", "3512C"]),
            ("FG Wilson", ["P550-3"]),
        ],
        ["Battery charger", "Automatic transfer switch", "Fuel day tank"],
        "EL PL",
    ),
    "UPS": (
        "UPS",
        "UPS",
        [("APC", ["Galaxy VX 500", "Galaxy VS 100"]), ("Eaton", ["93PM 200", "9395P"])],
        ["Battery string A", "Battery string B"],
        "EL",
    ),
    "Booster pump set": (
        "PMP",
        "Booster pump set",
        [("Grundfos", ["Hydro MPC-E", "Hydro Multi-E"]), ("Wilo", ["SiBoost Smart"])],
        [],
        "PL HV",
    ),
    "Water heater": (
        "WH",
        "Water heater",
        [("Andrews", ["MAXXflo EVO", "Optimiser 250"]), ("Rinnai", ["Infinity N-series"])],
        [],
        "PL KT",
    ),
    "Refrigeration rack": (
        "RR",
        "Refrigeration rack",
        [("Bitzer", ["ECOSTAR LHV7E"]), ("Copeland", ["Scroll rack S-6"])],
        ["Compressor"],
        "RF",
    ),
}
AREAS = (
    "Basement plant room",
    "Roof",
    "Level 1",
    "Level 2",
    "Level 3",
    "Ground floor",
    "Kitchen",
    "East wing",
    "West wing",
    "Car park",
    "Riser 2",
    "Hall A",
    "Hall B",
    "Block C",
)


def equipment_for(project_code):
    kind = project_code.split("-")[-1]
    return [c for c, spec in EQUIPMENT.items() if kind in spec[4].split()] or list(EQUIPMENT)


def asset_values(rng, category, number, today, ordinal=None):
    """Believable column values for one asset of a category (`ordinal` numbers it within
    its site, e.g. "Chiller 2")."""
    prefix, stem, makes, _components, _kinds = EQUIPMENT[category]
    make, models = rng.choice(makes)
    installed = today - datetime.timedelta(days=rng.randint(200, 365 * 15))
    warranty = installed + datetime.timedelta(days=365 * rng.choice((2, 3, 5)))
    if rng.random() < 0.04:
        warranty = today + datetime.timedelta(days=rng.randint(1, 60))
    return dict(
        tag=f"{prefix}-{number:04d}",
        name=f"{stem} {ordinal or number % 20 + 1}, {rng.choice(AREAS)}",
        category=category,
        make=make,
        model_name=rng.choice(models),
        serial=f"{make[:2].upper()}{rng.randint(10, 99)}-{rng.randint(100000, 999999)}",
        install_date=installed,
        warranty_end=warranty,
        status=rng.choices(("operational", "degraded", "down", "retired"), (90, 6, 3, 1))[0],
        criticality=rng.choices(("low", "medium", "high", "critical"), (20, 45, 25, 10))[0],
    )


def demo_loaded():
    return User.select().where(User.email == DEMO_USERS[0][0]).exists()


def load_demo(asset_total=300, seed=7, storage=None):
    """Create the demo organisation in one transaction; returns it. With a storage, its
    manuals, certificates and photos are stored too."""
    rng = random.Random(seed)
    today = datetime.date.today()
    with db.atomic(), alerts.quiet():  # the demo's alerts are its own (models/demo_alerts.py)
        org = Organisation.create(name="Fettle Demo Services", timezone="Europe/London")
        locations = [
            Location.create(organisation=org, name=n, timezone=tz, address=a)
            for n, tz, a in LOCATIONS
        ]
        clients = [
            Client.create(
                organisation=org,
                location=locations[loc],
                name=name,
                contact_name=contact,
                email=email,
                phone=phone,
            )
            for name, loc, contact, email, phone in CLIENTS
        ]
        projects = [
            Project.create(
                organisation=org,
                client=clients[c],
                code=code,
                name=name,
                status="active",
                start_date=today.replace(day=1) - datetime.timedelta(days=rng.randint(200, 1500)),
                description=f"Planned and reactive maintenance under contract {code}: {name}.",
            )
            for c, code, name in PROJECTS
        ]
        _demo_assets(org, projects, asset_total, rng, today)
        _demo_users(org, locations, clients, projects)
        technician = User.get(User.email == "tech@example.com")
        add_meters(org, technician, rng)
        users = {role: User.get(User.email == email) for email, _, role in DEMO_USERS}
        orders = add_work_orders(org, users["manager"], rng)
        demo_checklists.load(org, users, orders, storage=storage)
        demo_records.load(org, users, orders, storage=storage)
        demo_signoff.load(org, users, orders, storage=storage)
        demo_schedules.load(org, users, orders, storage=storage)
        demo_reports.load(org, users, storage=storage)
        if storage is not None:
            add_documents(org, storage, technician, rng)
    demo_alerts.load(org, users)  # what the demo's people would have heard by now
    return org


def _demo_assets(org, projects, total, rng, today):
    counters, per_site = {}, {}
    made = 0
    while made < total:
        project = projects[made % len(projects)]
        category = rng.choice(equipment_for(project.code))
        counters[category] = counters.get(category, 0) + 1
        per_site[project.id, category] = per_site.get((project.id, category), 0) + 1
        values = asset_values(
            rng, category, counters[category], today, ordinal=per_site[project.id, category]
        )
        asset = Asset.create(organisation=org, project=project, **values)
        made += 1
        # Bigger plant is registered with its main components, mostly when it matters.
        chance = 0.7 if values["criticality"] in ("high", "critical") else 0.15
        parts = EQUIPMENT[category][3] if rng.random() < chance else ()
        for n, part in enumerate(parts[: max(0, total - made)], start=1):
            Asset.create(
                organisation=org,
                project=project,
                parent=asset,
                tag=f"{values['tag']}-{n}",
                name=f"{part}, {asset.name.split(',')[0]}",
                category=category,
                make=values["make"],
                install_date=values["install_date"],
                status="operational",
                criticality=values["criticality"],
                serial=f"{rng.randint(100000, 999999)}",
            )
            made += 1


def _demo_users(org, locations, clients, projects):
    people = {}
    for email, name, role in DEMO_USERS + (
        ("sam.okafor@example.com", "Sam Okafor", "technician"),
        ("priya.nair@example.com", "Priya Nair", "technician"),
        ("jonas.berg@example.com", "Jonas Berg", "technician"),
        ("dana.kowalski@example.com", "Dana Kowalski", "manager"),
    ):
        user = User(
            organisation=org,
            email=email,
            name=name,
            role=role,
            client=clients[0] if role == "client" else None,
            timezone="Europe/London",
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        people[email] = user
    # Tom works the Manchester malls and hospital; the others cover the rest.
    rota = {
        "tech@example.com": projects[0:6] + projects[11:12],
        "sam.okafor@example.com": projects[6:11],
        "priya.nair@example.com": projects[11:15],
        "jonas.berg@example.com": projects[15:20],
    }
    for email, members in rota.items():
        for project in members:
            ProjectMember.create(organisation=org, project=project, user=people[email])
    people["dana.kowalski@example.com"].timezone = "America/New_York"
    people["dana.kowalski@example.com"].save()
    ManagerLocation.create(
        organisation=org, user=people["dana.kowalski@example.com"], location=locations[2]
    )
