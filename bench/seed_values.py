"""The made-up values of the benchmark's world (bench/seed.py): names, places, shares, and the
check digit ICCIDs and IMEIs carry."""

import json
from functools import cache

from stdnum.luhn import calc_check_digit

YEAR = 365 * 86400.0
DAY = 86400.0
HOUR = 3600.0

# ICCIDs: 89 (telecoms) 44 (UK) 10 (issuer) + a 12-digit serial + the Luhn check digit = 19 digits.
# The worker benchmark uses issuer 99, so its SIMs never collide with these.
ICCID_PREFIX = "894410"
AREAS = ("113", "114", "115", "116", "117", "118", "121", "131", "141", "151", "161", "191", "20", "29", "28")

FIRST_NAMES = (
    "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar", "Charlie", "Jacob", "Thomas",
    "Henry", "William", "Alfie", "Theo", "Freddie", "Archie", "Joshua", "Alexander", "James", "Isaac", "Edward",
    "Lucas", "Tommy", "Finley", "Max", "Logan", "Ethan", "Mohammed", "Teddy", "Benjamin", "Arlo", "Joseph",
    "Sebastian", "Elijah", "Adam", "Albie", "Reggie", "Daniel", "Samuel", "Rory", "Jude", "Louie", "Hugo", "Reuben",
    "Toby", "Ronnie", "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow", "Rosie",
    "Sophia", "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie", "Emily", "Ella", "Evelyn", "Phoebe", "Sofia",
    "Evie", "Charlotte", "Harper", "Matilda", "Alice", "Sophie", "Ruby", "Maya", "Emilia", "Ada", "Priya", "Aisha",
    "Fatima", "Zara", "Amira", "Chloe", "Hannah", "Sam", "Kwame", "Chidi", "Ngozi", "Oluwaseun", "Ayesha", "Imran",
    "Bilal", "Sanjay", "Deepa", "Ravi", "Anjali", "Wei", "Mei", "Hiroshi", "Yuki", "Siobhan", "Niamh", "Aoife",
    "Ciaran", "Eilidh", "Callum", "Rhys", "Cerys", "Dafydd", "Gethin", "Bronwen", "Tadeusz", "Agnieszka", "Katarzyna",
    "Piotr", "Ioana", "Andrei", "Giulia", "Marco", "Lucia", "Pablo", "Ines", "Joao", "Yusuf", "Emre", "Elif",
    "Dmitri", "Olga", "Kofi", "Ama", "Tendai", "Rutendo", "Nasra", "Abdi", "Hamza", "Leila", "Omar", "Yasmin",
    "Tariq", "Nadia", "Gurpreet", "Harjit", "Manpreet", "Jaspreet", "Connor", "Declan", "Bethany", "Kirsty", "Shona",
    "Fraser", "Morag", "Ewan"
)
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke", "Jackson", "Wood",
    "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison",
    "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker", "James", "Bennett",
    "Young", "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh", "Shaw", "Bell", "Collins",
    "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall", "Simpson", "Price", "Anderson", "Adams",
    "Wilkinson", "Ali", "Ahmed", "Foster", "Ellis", "Murphy", "Chapman", "Mason", "Gray", "Richards", "Webb",
    "Griffiths", "Hunt", "Palmer", "Campbell", "Holmes", "Mills", "Rogers", "Barnes", "Knight", "Matthews", "Barker",
    "Powell", "Stevens", "Kaur", "Fisher", "Butler", "Dixon", "Russell", "Harvey", "Pearson", "Graham", "Fletcher",
    "Okafor", "Adeyemi", "Mensah", "Osei", "Nwosu", "Chukwu", "Shah", "Mistry", "Chauhan", "Gill", "Sandhu",
    "Dhillon", "Rahman", "Uddin", "Islam", "Chowdhury", "Iqbal", "Malik", "Akhtar", "Nowak", "Kowalski", "Wisniewski",
    "Popescu", "Ionescu", "Rossi", "Russo", "Ferrari", "Garcia", "Fernandez", "Silva", "Santos", "Costa", "Nguyen",
    "Tran", "Chen", "Wang", "Zhang", "Li", "Liu", "Yamamoto", "Tanaka", "O'Brien", "O'Neill", "O'Connor", "McDonald",
    "MacLeod", "MacKenzie", "Fraser", "Stewart", "Robertson", "Paterson", "Ferguson", "Ross", "Reid", "Sinclair",
    "Llewellyn", "Pritchard", "Vaughan", "Bowen", "Jenkins", "Lloyd", "Owen", "Rees", "Morgan-Jones", "Smith-Barnes",
    "Ashworth", "Ramsbottom", "Sutcliffe", "Greenwood", "Haworth", "Ackroyd", "Brierley", "Oyelaran", "Abiodun",
    "Kariuki", "Wanjiru", "Mutasa", "Moyo", "Dlamini", "Haddad", "Nasser", "Farah"
)
STREETS = ("Station Road", "High Street", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane", "Hunslet Road",
           "Kirkstall Road", "Otley Road", "Boar Lane", "Albion Street", "Harehills Lane", "Chapeltown Road",
           "Queens Road", "Manor Way", "Cardigan Road", "Meanwood Road", "York Road", "Wakefield Road", "Spen Lane")
TOWNS = ("Leeds", "Bradford", "Sheffield", "Manchester", "Liverpool", "Birmingham", "Bristol", "Nottingham",
         "Leicester", "Newcastle", "Glasgow", "Edinburgh", "Cardiff", "Belfast", "London", "York", "Hull", "Reading")
OUTWARD = (
    [f"LS{n}" for n in range(1, 30)] + [f"M{n}" for n in range(1, 41)] + [f"B{n}" for n in range(1, 50)]
    + [f"S{n}" for n in range(1, 36)] + [f"BD{n}" for n in range(1, 24)] + [f"G{n}" for n in range(1, 80)]
    + [f"EH{n}" for n in range(1, 55)] + [f"CF{n}" for n in range(5, 48)] + [f"BT{n}" for n in range(1, 50)]
    + ["EC1A", "EC2V", "W1A", "SW1A", "SE1", "N1", "E1", "NW1", "WC2H", "E14"] + [f"L{n}" for n in range(1, 40)]
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward code may use

ACTIVATION_SERVICES = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")
SERVICE_ORDER = ("int_roaming", "int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms")
# How SIMs end up: (state, share). "pending" is an activation in flight.
STATES = (("active", 0.70), ("suspended", 0.08), ("unused", 0.14), ("terminated", 0.072), ("pending", 0.008))
ROLES = (("Customer service", 0.75), ("Supervisor", 0.12), ("Observer", 0.10), ("Admin", 0.03))
PRODUCTS = (("AQL-123", 500), ("ABC-456", 2000), ("AQL-789", None), ("DATA-001", 100))


def luhn(body: str) -> str:
    """`body` with its Luhn check digit (ICCIDs and IMEIs carry one)."""
    return body + calc_check_digit(body)


@cache
def services_json(services: tuple[str, ...]) -> str:
    """The services as an audit snapshot maps them, each name to on or off (a handful of combinations:
    made once each). The seeded SIMs' services are all known: each story starts with our activation."""
    return json.dumps({name: name in services for name in SERVICE_ORDER})
