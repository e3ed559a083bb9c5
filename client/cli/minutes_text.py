"""The words of the counting minutes, in Vietnamese and English, and how numbers,
dates and hashes are written in each (used by :mod:`.minutes`).

Vietnamese writes a decimal comma and groups thousands with a dot (66,67%;
1.234); English the other way round. Hashes are shown in lower-case hex in
groups of four.
"""

from __future__ import annotations

import hashlib

from kiemphieu.crypto.election.rules import Comparison, Denominator, Fraction

LANGUAGES = ("vi", "en")

CATALOGUE: dict[str, dict[str, str]] = {
    "vi": {
        "nation": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "motto": "Độc lập - Tự do - Hạnh phúc",
        "committee_caps": "BAN KIỂM PHIẾU",
        "title": "BIÊN BẢN KIỂM PHIẾU",
        "election": "Cuộc bỏ phiếu: {title} (mã {id})",
        "time": "Thời gian",
        "time_value": "...... giờ ...... phút, {date}",
        "place": "Địa điểm",
        "not_recorded": "không ghi trong manifest của cuộc bỏ phiếu",
        "s1": "I. THÀNH PHẦN BAN KIỂM PHIẾU",
        "committee_intro": (
            "Ban kiểm phiếu gồm {n} thành viên; cần {t} thành viên để giải mã kết quả."
        ),
        "col_no": "TT",
        "col_index": "Số",
        "col_name": "Họ và tên",
        "col_role": "Chức danh",
        "col_task": "Nhiệm vụ",
        "chair": "Trưởng ban",
        "member": "Thành viên",
        "s2": "II. SỐ NGƯỜI VÀ SỐ PHIẾU",
        "summoned": "Số người được triệu tập",
        "present": "Số người có mặt",
        "quorum_met": (
            "Đủ điều kiện tiến hành: có mặt {present}/{summoned} người ({pct}%), từ {frac} số "
            "người được triệu tập trở lên."
        ),
        "quorum_not_met": (
            "Không đủ điều kiện tiến hành: có mặt {present}/{summoned} người ({pct}%), dưới "
            "{frac} số người được triệu tập."
        ),
        "issued": "Số phiếu phát ra",
        "returned": "Số phiếu thu về (số người bỏ phiếu)",
        "per_row_note": (
            "Số phiếu hợp lệ, không hợp lệ của từng người, từng phương án: xem mục III."
        ),
        "s3": "III. KẾT QUẢ KIỂM PHIẾU",
        "question": "{i}. {title}",
        "col_person": "Người được lấy phiếu",
        "col_option": "Phương án",
        "col_valid": "Phiếu hợp lệ",
        "col_invalid": "Phiếu không hợp lệ",
        "col_count": "Số phiếu",
        "col_percent": "Tỷ lệ %",
        "col_flags": "Ghi chú",
        "chosen": "Được chọn",
        "blank_row": "Phiếu trắng, không hợp lệ",
        "valid_line": "Phiếu hợp lệ: {valid}; phiếu không hợp lệ: {invalid}.",
        "denominator": "Tỷ lệ phần trăm tính trên {what} ({n}).",
        "denominator_valid": "Tỷ lệ phần trăm tính trên số phiếu hợp lệ của từng dòng.",
        "rule": "{label}: số phiếu “{slot}” {cmp} {frac} {what}.",
        "den_returned": "số phiếu thu về",
        "den_issued": "số phiếu phát ra",
        "den_summoned": "số người được triệu tập",
        "den_valid": "số phiếu hợp lệ",
        "s4": "IV. XÁC THỰC ĐIỆN TỬ",
        "verify_intro": (
            "Các giá trị dưới đây gắn biên bản này với hồ sơ công khai của cuộc bỏ phiếu: "
            "bất kỳ ai cũng có thể tải hồ sơ, tự kiểm tra lại kết quả và đối chiếu."
        ),
        "fingerprint": "Dấu vân tay cuộc bỏ phiếu (mã băm cơ sở)",
        "board_size": "Số mục trên bảng công khai",
        "board_head": "Mã băm đầu chuỗi bảng công khai",
        "no_head": "(bảng trống)",
        "server": "Máy chủ",
        "receipt_key": "Khóa ký biên nhận và hồ sơ của máy chủ",
        "record": "Hồ sơ công khai",
        "generated": "Lập bằng kiemphieu lúc",
        "qr_caption": "Quét để mở hồ sơ công khai",
        "attested_intro": (
            "Các thành viên đã tự tính lại bảng công khai khi kết thúc bỏ phiếu và ký số xác "
            "nhận số mục, số lá phiếu và mã băm đầu chuỗi nêu trên:"
        ),
        "decrypted_intro": (
            "Các thành viên đã giải mã kết quả; mỗi người ký số phần giải mã của mình:"
        ),
        "col_key": "Khóa định danh",
        "col_signature": "Chữ ký số phần giải mã",
        "fingerprint_note": "Dấu vân tay khóa và chữ ký: 16 ký tự hex đầu của SHA-256.",
        "s5": "V. CHỮ KÝ CỦA BAN KIỂM PHIẾU",
        "sign_intro": "Biên bản được lập xong và thông qua; các thành viên Ban kiểm phiếu ký tên:",
        "sign_hint": "(Ký, ghi rõ họ tên)",
        "page": "Trang {page}/{pages}",
        "pdf_title": "Biên bản kiểm phiếu",
    },
    "en": {
        "nation": "SOCIALIST REPUBLIC OF VIET NAM",
        "motto": "Independence - Freedom - Happiness",
        "committee_caps": "VOTE-COUNTING COMMITTEE",
        "title": "COUNTING MINUTES",
        "election": "Vote: {title} (id {id})",
        "time": "Time",
        "time_value": "...... h ...... min, {date}",
        "place": "Place",
        "not_recorded": "not recorded in the manifest",
        "s1": "I. THE VOTE-COUNTING COMMITTEE",
        "committee_intro": (
            "The committee has {n} members; {t} of them are needed to decrypt the result."
        ),
        "col_no": "No.",
        "col_index": "No.",
        "col_name": "Full name",
        "col_role": "Role",
        "col_task": "Task",
        "chair": "Chair",
        "member": "Member",
        "s2": "II. PEOPLE AND BALLOTS",
        "summoned": "People summoned",
        "present": "People present",
        "quorum_met": (
            "Quorum met: {present}/{summoned} present ({pct}%), at least {frac} of those summoned."
        ),
        "quorum_not_met": (
            "Quorum not met: {present}/{summoned} present ({pct}%), fewer than {frac} of those "
            "summoned."
        ),
        "issued": "Ballots issued",
        "returned": "Ballots returned (people who voted)",
        "per_row_note": "Valid and invalid ballots for each person and option: see part III.",
        "s3": "III. RESULT OF THE COUNT",
        "question": "{i}. {title}",
        "col_person": "Person assessed",
        "col_option": "Option",
        "col_valid": "Valid",
        "col_invalid": "Invalid",
        "col_count": "Votes",
        "col_percent": "%",
        "col_flags": "Notes",
        "chosen": "Chosen",
        "blank_row": "Blank or invalid",
        "valid_line": "Valid ballots: {valid}; invalid ballots: {invalid}.",
        "denominator": "Percentages are of {what} ({n}).",
        "denominator_valid": "Percentages are of each row's valid ballots.",
        "rule": "{label}: votes for “{slot}” {cmp} {frac} of {what}.",
        "den_returned": "ballots returned",
        "den_issued": "ballots issued",
        "den_summoned": "people summoned",
        "den_valid": "valid ballots",
        "s4": "IV. ELECTRONIC VERIFICATION",
        "verify_intro": (
            "The values below tie these minutes to the vote's public record: anyone may "
            "download the record, check the result again and compare."
        ),
        "fingerprint": "Election fingerprint (base hash)",
        "board_size": "Entries on the public board",
        "board_head": "Public board head hash",
        "no_head": "(empty board)",
        "server": "Server",
        "receipt_key": "Server key signing receipts and the record",
        "record": "Public record",
        "generated": "Made by kiemphieu at",
        "qr_caption": "Scan to open the public record",
        "attested_intro": (
            "Committee members who recomputed the public board at the close and signed its "
            "number of entries, number of ballots and head hash given above:"
        ),
        "decrypted_intro": (
            "Committee members who decrypted the result, each signing its part digitally:"
        ),
        "col_key": "Identity key",
        "col_signature": "Signature of the decryption",
        "fingerprint_note": "Key and signature fingerprints: first 16 hex digits of SHA-256.",
        "s5": "V. SIGNATURES OF THE VOTE-COUNTING COMMITTEE",
        "sign_intro": "These minutes were completed and approved; the committee members sign:",
        "sign_hint": "(signature and full name)",
        "page": "Page {page}/{pages}",
        "pdf_title": "Counting minutes",
    },
}

MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def text(lang: str) -> dict[str, str]:
    """The catalogue of ``lang``; ValueError for a language it does not hold."""
    try:
        return CATALOGUE[lang]
    except KeyError:
        raise ValueError(f"language {lang!r}: choose one of {', '.join(LANGUAGES)}") from None


def number(n: int, lang: str) -> str:
    """An integer with thousands grouped: 1.234 (vi), 1,234 (en)."""
    grouped = f"{n:,}"
    return grouped.replace(",", ".") if lang == "vi" else grouped


def percent(value: str, lang: str) -> str:
    """A result's percentage ("66.67") with the language's decimal mark."""
    return value.replace(".", ",") if lang == "vi" else value


def long_date(iso: str, lang: str) -> str:
    """YYYY-MM-DD as "ngày 15 tháng 12 năm 2026" or "15 December 2026"."""
    year, month, day = (int(p) for p in iso.split("-"))
    if lang == "vi":  # Nghị định 30/2020: a 0 before days 1-9 and months 1-2
        mm = f"{month:02d}" if month < 3 else str(month)
        return f"ngày {day:02d} tháng {mm} năm {year}"
    return f"{day} {MONTHS_EN[month - 1]} {year}"


def fraction(f: Fraction) -> str:
    return f"{f.num}/{f.den}"


def comparison(c: Comparison) -> str:
    return ">" if c is Comparison.MORE_THAN else "≥"


def denominator(d: Denominator, lang: str) -> str:
    return text(lang)[f"den_{d.value}"]


def grouped_hex(data: bytes) -> str:
    """Lower-case hex in groups of four: ``1a2b 3c4d …``."""
    h = data.hex()
    return " ".join(h[i : i + 4] for i in range(0, len(h), 4))


def fingerprint(data: bytes) -> str:
    """The first 16 hex digits of SHA-256(data), grouped: ``1a2b 3c4d 5e6f 7a8b``."""
    return grouped_hex(hashlib.sha256(data).digest()[:8])
