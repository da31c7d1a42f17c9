"""The case file of a request (SOP 04/SOP/Kominfo-PE/10/2018): register, order, chain, documents.

* ``steps`` — the SOP's 14 steps and actors as data;
* ``register`` — the SQLite register of requests (``Register``) and its migrations (``db``);
* ``workflow`` — the SOP's order, pure: replay a case, refuse a skipped step;
* ``mutu_baku`` — the 1-working-day time standard, weekends and holidays;
* ``chain`` — hash chain, ``verify`` and ``export``;
* ``inputs`` — what the analysis, the change, monitoring and staff hand in;
* ``documents`` — DOCX (and text) documents from editable templates;
* ``tasks`` — the playbook tasks ``request_step`` and ``document``.

Import from the modules themselves (``from bwauto.case.register import Register``): this
package's ``__init__`` stays empty so that reading ``office.yaml`` (``inventory check``) does not
load the register, its chain and its signatures.
"""
