"""Vietnamese text helpers: NFC normalisation, accent-insensitive keys, number parsing and formatting.

Matching keys must survive what people really type into spreadsheets: NFD input, upper case,
the Icelandic "Ð" (U+00D0) used in place of "Đ" (U+0110), and prefixes such as "UBND huyện",
"Xã", "TP." or "Sở".
"""

from __future__ import annotations

import re
import unicodedata

# Characters that look like Vietnamese letters but are not (seen in the seed documents).
_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ", "\u00a0": " "})

# Longest first: "uy ban nhan dan thanh pho" must be removed before "thanh pho".
_PREFIXES = sorted(
    [
        "uy ban nhan dan",
        "ubnd",
        "thanh pho",
        "tp",
        "tinh",
        "quan",
        "huyen",
        "thi xa",
        "tx",
        "thi tran",
        "tt",
        "phuong",
        "xa",
        "dac khu",
        "so",
        "ban",
    ],
    key=len,
    reverse=True,
)


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC with look-alike letters replaced and spaces collapsed."""
    text = unicodedata.normalize("NFC", str(text).translate(_LOOKALIKES))
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form: 'Ðiện  Biên' -> 'dien bien'."""
    text = nfc(text).lower().replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^0-9a-z]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def strip_prefixes(folded: str) -> str:
    """Remove leading administrative prefixes from a folded name (repeatedly)."""
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if folded.startswith(prefix + " ") and len(folded) > len(prefix) + 1:
                folded = folded[len(prefix) + 1 :]
                changed = True
                break
    return folded


def name_key(text: str) -> str:
    """Key used to match unit and agency names: folded, prefixes removed, no spaces.

    Numbered wards keep their number: "Phường 1" -> "1"; callers match such keys only
    within a parent unit.
    """
    return strip_prefixes(fold(text)).replace(" ", "")


_VN_NUMBER = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")


def parse_number(value: object) -> float | None:
    """Parse a number as written in Vietnamese documents.

    "1.234" and "1.234.567" are thousands (Vietnamese grouping), "8,39" is a decimal comma.
    Returns None for blanks; raises ValueError for text that is not a number.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"không phải số: {value!r}")
    if isinstance(value, int | float):
        if value != value:  # NaN
            return None
        return float(value)
    text = nfc(str(value)).replace(" ", "")
    if text in {"", "-", "–"}:
        return None
    text = text.rstrip("%")
    if _VN_NUMBER.match(text):
        return float(text.replace(".", "").replace(",", "."))
    if _PLAIN_NUMBER.match(text):
        return float(text.replace(",", "."))
    raise ValueError(f"không phải số: {value!r}")


def format_int(value: float | int | None) -> str:
    """1234567 -> '1.234.567' (Vietnamese grouping)."""
    if value is None or value != value:
        return "–"
    return f"{round(value):,}".replace(",", ".")


def format_decimal(value: float | int | None, digits: int = 2) -> str:
    """12.5 -> '12,5'; 80.25 -> '80,25' (at most ``digits`` decimals, Vietnamese separators)."""
    if value is None or value != value:  # None or NaN
        return "–"
    text = f"{float(value):,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\u00a0").replace(".", ",").replace("\u00a0", ".")


def format_percent(fraction: float | None, digits: int = 2) -> str:
    """0.0839 -> '8,39 %'."""
    if fraction is None or fraction != fraction:
        return "–"
    return f"{fraction * 100:.{digits}f}".replace(".", ",") + " %"


def format_date(value: object) -> str:
    """A date as dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y") if value is not None else "–"  # type: ignore[attr-defined]


# --- Vietnamese alphabetical order ------------------------------------------------------------
# The 29 letters of the Vietnamese alphabet, with the Latin letters it lacks (f, j, w, z) at their
# Latin places for foreign names. A letter is its base with its shape marks (breve, circumflex,
# horn); "đ" is its own character. Tones are a secondary key, in the order of CLDR's Vietnamese
# collation: none, huyền, hỏi, ngã, sắc, nặng.
_ALPHABET = ["a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "ô",
             "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z"]
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_SHAPES = frozenset("\u0306\u0302\u031b")  # breve, circumflex, horn
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền, hỏi, ngã, sắc, nặng
_SPACE, _PUNCT, _DIGITS, _LETTERS, _OTHER = 0x100, 0x110, 0x200, 0x300, 0x1000


def _letters(text: str) -> list[tuple[str, int, bool]]:
    """(base letter with its shape marks, tone, upper case) for each character of NFC text."""
    out: list[tuple[str, int, bool]] = []
    for ch in text:
        base, *marks = unicodedata.normalize("NFD", ch.lower())
        shape = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in _SHAPES))
        tone = max((_TONES.get(m, 0) for m in marks), default=0)
        out.append((shape, tone, ch != ch.lower()))
    return out


def vi_sort_key(name: str) -> str:
    """A key that sorts names in Vietnamese alphabetical order, case-insensitively.

    Letters compare by the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t
    u ư v x y): "Đắk Lắk" after every "D…" name and before "E…", "Thái Nguyên" before "Thanh
    Hóa" (i < n). Tones only break ties between otherwise equal names (Ba < Bà < Bả < Bã < Bá <
    Bạ), then case. Spaces sort before letters ("Cà Mau" < "Cao Bằng") and runs of digits by
    their value ("Phường 2" < "Phường 10"). Plain string comparison of the keys gives the order.
    """
    chars = _letters(nfc(name))
    primary, tones, cases = [], [], []
    i = 0
    while i < len(chars):
        letter, tone, upper = chars[i]
        if letter.isdigit():
            j = i
            while j < len(chars) and chars[j][0].isdigit():
                j += 1
            digits = "".join(c[0] for c in chars[i:j]).lstrip("0") or "0"
            primary.append(chr(_DIGITS + len(digits)) + "".join(chr(_DIGITS + 0x20 + int(d)) for d in digits))
            i = j
            continue
        if letter in _LETTER_RANK:
            primary.append(chr(_LETTERS + _LETTER_RANK[letter]))
        elif letter.isspace():
            primary.append(chr(_SPACE))
        elif not letter.isalnum():
            primary.append(chr(_PUNCT))
        else:
            primary.append(chr(_OTHER + ord(letter)))
        tones.append(chr(0x30 + tone))
        cases.append("1" if upper else "0")
        i += 1
    return "".join(primary) + "\x01" + "".join(tones) + "\x01" + "".join(cases)
