"""Reports on a run: console progress and summary, a JSON report and JUnit XML."""
from .console import MODES, ConsoleProgress, format_summary, job_line
from .jsonreport import REPORT_VERSION, json_text, report_dict, write_json
from .junit import junit_xml, write_junit

__all__ = [
    "MODES",
    "REPORT_VERSION",
    "ConsoleProgress",
    "format_summary",
    "job_line",
    "json_text",
    "junit_xml",
    "report_dict",
    "write_json",
    "write_junit",
]
