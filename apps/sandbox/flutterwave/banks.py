"""Banks and account names of the fake Flutterwave (external-apis.md §1.5, §1.6).

BANKS is a short list of real Nigerian banks with their real NIP/CBN codes (strings: the
leading zeros matter). Account names are invented but stable: the same bank and number always
resolve to the same name, picked from small lists by a hash. Test fixtures:

- account numbers must be exactly 10 digits (NUBAN);
- a number ending in "0000" never resolves (400 "Sorry, recipient account could not be
  validated. Please try again"), and a transfer to it is refused the same way;
- Access Bank "044" / "0690000036" is Flutterwave's blacklisted test account (transfers only);
- the Access Bank test accounts of Flutterwave's docs keep the names the docs show.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

NUBAN = re.compile(r"\d{10}")
UNRESOLVABLE_SUFFIX = "0000"
UNRESOLVABLE = "Sorry, recipient account could not be validated. Please try again"
BLACKLISTED = ("044", "0690000036")
BLACKLISTED_MESSAGE = "Payout was made to a blacklisted account number"


@dataclass(frozen=True)
class FakeBank:
    id: int
    code: str
    name: str


BANKS = (
    FakeBank(191, "044", "Access Bank"),
    FakeBank(192, "063", "Access Bank (Diamond)"),
    FakeBank(193, "050", "Ecobank Nigeria"),
    FakeBank(194, "070", "Fidelity Bank"),
    FakeBank(195, "011", "First Bank of Nigeria"),
    FakeBank(196, "214", "First City Monument Bank"),
    FakeBank(197, "058", "GTBank Plc"),
    FakeBank(198, "030", "Heritage Bank"),
    FakeBank(199, "301", "Jaiz Bank"),
    FakeBank(200, "082", "Keystone Bank"),
    FakeBank(201, "50211", "Kuda Bank"),
    FakeBank(202, "090267", "Kuda Microfinance Bank"),
    FakeBank(203, "090405", "Moniepoint Microfinance Bank"),
    FakeBank(204, "100004", "OPay Digital Services (Paycom)"),
    FakeBank(205, "100033", "PalmPay"),
    FakeBank(206, "076", "Polaris Bank"),
    FakeBank(207, "101", "Providus Bank"),
    FakeBank(208, "221", "Stanbic IBTC Bank"),
    FakeBank(209, "068", "Standard Chartered Bank"),
    FakeBank(210, "232", "Sterling Bank"),
    FakeBank(211, "032", "Union Bank of Nigeria"),
    FakeBank(212, "033", "United Bank for Africa"),
    FakeBank(213, "215", "Unity Bank"),
    FakeBank(214, "035", "Wema Bank"),
    FakeBank(215, "057", "Zenith Bank"),
)
BANKS_BY_CODE = {bank.code: bank for bank in BANKS}

# Names Flutterwave's own docs show for its Access Bank test accounts.
DOCUMENTED_NAMES = {
    ("044", "0690000032"): "Pastor Bright",
    ("044", "0690000033"): "Bale Gary",
    ("044", "0690000040"): "Alexis Sanchez",
}
FIRST_NAMES = (
    "Adaeze", "Chinedu", "Oluwaseun", "Aisha", "Emeka", "Funmilayo", "Ibrahim", "Ngozi",
    "Tunde", "Zainab", "Obinna", "Yetunde", "Musa", "Chiamaka", "Segun", "Halima",
)  # fmt: skip
SURNAMES = (
    "Okafor", "Adeyemi", "Bello", "Okonkwo", "Balogun", "Eze", "Abubakar", "Nwosu",
    "Ogunleye", "Danjuma", "Obi", "Adebayo", "Usman", "Chukwu", "Afolabi", "Ibekwe",
)  # fmt: skip


def bank(code: str) -> FakeBank | None:
    return BANKS_BY_CODE.get(code)


def is_nuban(account_number: str) -> bool:
    return bool(NUBAN.fullmatch(account_number))


def account_name(bank_code: str, account_number: str) -> str | None:
    """The name a 10-digit ACCOUNT_NUMBER at BANK_CODE resolves to; None if it does not."""
    if bank(bank_code) is None or not is_nuban(account_number):
        return None
    if account_number.endswith(UNRESOLVABLE_SUFFIX):
        return None
    documented = DOCUMENTED_NAMES.get((bank_code, account_number))
    if documented:
        return documented
    digest = hashlib.sha256(f"{bank_code}:{account_number}".encode()).digest()
    first = FIRST_NAMES[digest[0] % len(FIRST_NAMES)]
    surname = SURNAMES[digest[1] % len(SURNAMES)]
    return f"{surname} {first}".upper()


def is_blacklisted(bank_code: str, account_number: str) -> bool:
    return (bank_code, account_number) == BLACKLISTED


def wire(fake_bank: FakeBank) -> dict:
    return {"id": fake_bank.id, "code": fake_bank.code, "name": fake_bank.name}
