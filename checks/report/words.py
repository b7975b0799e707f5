"""The words of the reports, Vietnamese first (``vi``) and English (``en``)."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Báo cáo kiểm tra tuân thủ", "Compliance audit report"),
    "control": ("Kiểm soát", "Control"),
    "device": ("Thiết bị", "Device"),
    "site": ("Điểm", "Site"),
    "commune": ("Xã/phường", "Commune"),
    "province": ("Toàn tỉnh", "Province"),
    "status": ("Kết quả", "Result"),
    "passed": ("Đạt", "Passed"),
    "failed": ("Không đạt", "Failed"),
    "waived": ("Được miễn", "Waived"),
    "error": ("Lỗi", "Error"),
    "skipped": ("Bỏ qua", "Skipped"),
    "score_before": ("Điểm (trước miễn trừ)", "Score (before waivers)"),
    "score_after": ("Điểm (sau miễn trừ)", "Score (after waivers)"),
    "evidence": ("Chứng cứ", "Evidence"),
    "file": ("Tệp", "File"),
    "line": ("Dòng", "Line"),
    "missing": ("Thiếu dòng", "Missing line"),
    "forbidden": ("Dòng bị cấm", "Forbidden line"),
    "out_of_bounds": ("Giá trị vượt giới hạn", "Value out of bounds"),
    "no_section": ("Thiếu mục cấu hình", "Missing section"),
    "matched": ("Dòng khớp", "Matched line"),
    "remediation": ("Khắc phục", "Remediation"),
    "legal_basis": ("Căn cứ pháp lý", "Legal basis"),
    "confirmed": ("đã xác minh", "confirmed"),
    "to_confirm": ("cần xác minh", "to confirm"),
    "source": ("Nguồn", "Source"),
    "commit": ("Commit", "Commit"),
    "profile": ("Hồ sơ", "Profile"),
    "parameters": ("Tham số", "Parameters"),
    "waiver": ("Miễn trừ", "Waiver"),
    "waiver_expired": ("Miễn trừ đã hết hạn", "Waiver expired"),
    "unmatched_waivers": ("Miễn trừ không khớp kết quả nào", "Waivers that matched nothing"),
    "excluded": (
        "Không kiểm tra (thiết bị nhà mạng quản lý; máy chủ khi không dùng --source live)",
        "Not audited (telco-managed devices; servers without --source live)",
    ),
    "summary_communes": ("Tổng hợp theo xã/phường", "Summary per commune"),
    "summary_controls": ("Tổng hợp theo kiểm soát", "Summary per control"),
    "findings": ("Phát hiện", "Findings"),
    "baseline": ("So với lần trước", "Since the previous report"),
    "new": ("Mới", "New"),
    "fixed": ("Đã khắc phục", "Fixed"),
    "still_failing": ("Vẫn không đạt", "Still failing"),
    "severity": ("Mức độ", "Severity"),
    "approver": ("Người duyệt", "Approver"),
    "justification": ("Lý do", "Justification"),
    "expires": ("Hết hạn", "Expires"),
    "date": ("Ngày", "Date"),
    "regime": ("Chế độ", "Regime"),
    "none": ("không có", "none"),
}


def word(key: str, lang: str) -> str:
    vi, en = WORDS[key]
    return en if lang == "en" else vi


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def basis_text(basis: dict[str, object], lang: str) -> str:
    """``85/2016/NĐ-CP, điều 9.3 (đã xác minh)`` / ``85/2016/NĐ-CP, art. 9.3 (confirmed)``."""
    article = basis.get("article")
    where = f", {'art.' if lang == 'en' else 'điều'} {article}" if article else ""
    return f"{basis['number']}{where} ({word(str(basis['status']), lang)})"
