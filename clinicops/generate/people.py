"""Fake patients: names, contact details, weight and their course (PHI the pipeline must drop)."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

_FIRST = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
    "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen", "Daniel", "Lisa",
    "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Andrew",
    "Emily", "Joshua", "Donna", "Kevin", "Michelle", "Brian", "Carol", "Tyrone", "Amanda", "Jamal", "Melissa",
    "Luis", "Deborah", "Marcus", "Stephanie", "Andre", "Rebecca", "Hannah", "Keisha", "Caleb", "Olivia", "Wyatt",
    "Priya", "Mateo", "Aaliyah", "Renee", "Dwayne",
)
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Pinckney", "Gadsden", "Middleton", "Legare",
    "Huger", "Rutledge", "Simmons", "Washington", "McCray", "Brockington",
)
_MAIL = ("example.com", "example.net", "example.org", "mail.example.com")


class _Patient:
    __slots__ = ("id", "first", "last", "dob", "phone", "email", "weight", "noshows", "referral", "phq_base",
                 "phq_final", "charted", "series_done", "gad7", "provider", "pref")

    def __init__(self, pid: str, rng: random.Random, area: str, today: date, child: bool):
        self.id = pid
        self.first = rng.choice(_FIRST)
        self.last = rng.choice(_LAST)
        age = rng.randint(6, 17) if child else min(78, max(18, int(rng.gauss(39, 13))))
        self.dob = today - timedelta(days=age * 365 + rng.randint(0, 364))
        self.phone = f"({area}) 555-01{rng.randint(0, 99):02d}"
        user = f"{self.first}.{self.last}" if rng.random() < 0.5 else f"{self.first[0]}{self.last}{rng.randint(1, 99)}"
        self.email = f"{user.lower()}@{rng.choice(_MAIL)}" if rng.random() < 0.85 else ""
        self.weight = round(min(130.0, max(50.0, rng.gauss(84, 17))), 1)
        self.noshows: list[datetime] = []  # starts of the appointments missed
        self.referral = ""
        self.phq_base = rng.randint(14, 25)
        r = rng.random()
        if r < 0.29:  # remits: < 5
            self.phq_final = rng.randint(1, 4)
        elif r < 0.54:  # responds: a drop of at least half
            self.phq_final = rng.randint(5, self.phq_base // 2)
        else:
            self.phq_final = rng.randint(math.ceil(self.phq_base * 0.55), self.phq_base)
        self.charted = 0  # sessions charted (infusion_number)
        self.series_done = 0  # completed, not aborted infusions
        self.gad7 = rng.randint(6, 18)
        self.provider = ""
        self.pref = 0

