"""``bwauto request``: the case file of a request, SOP steps 1–14.

=============================================  ======  ====================================
command                                        step    what
=============================================  ======  ====================================
``new --link --rate --letter-no ...``          1       register the request letter
``dispose ID --from --to [--note]``            2–4     dispositions kadis→kabid→kasi→staf
``form --blank`` / ``form ID --contact-name``  5       Dokumen Isian Kelengkapan
``analysis ID --summary``                      6       attach the analysis
``decide ID --can|--cannot``                   7/8     decision; CANNOT writes the reply letter
``change ID --evidence [--monitoring]``        8       attach the change (and monitoring)
``monitoring ID --registration``               8       attach a later monitoring registration
``ba ID --team-name --opd-name``               9       Berita Acara Pekerjaan (DOCX)
``report ID [--summary --chart]``              10      laporan hasil pelaksanaan (DOCX)
``review ID --by kasi|kabid|kadis``            11–13   approve, or ``--return --note``
``close ID``                                   14      done
``status [ID]`` / ``list [--overdue --opd]``   —       Mutu Baku timeline, overdue steps
``verify ID`` / ``export ID``                  —       hash chain check; zip of everything
``document ID --kind``                         —       write a document again
=============================================  ======  ====================================
"""

from __future__ import annotations

from bwauto.cli import (
    request_outcome_cmd,
    request_steps_cmd,
    request_view_cmd,
    request_work_cmd,
)
from bwauto.cli.request_common import app

__all__ = [
    "app",
    "request_outcome_cmd",
    "request_steps_cmd",
    "request_view_cmd",
    "request_work_cmd",
]
