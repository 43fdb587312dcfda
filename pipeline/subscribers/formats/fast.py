"""The common case of :func:`common.row_mapper`, compiled per file: for a file whose spec has
one column per time and no JSON or consent-text columns (every platform export but listmonk,
Keila and Linkletter's own), a function of straight-line code for exactly its columns is
generated once. It handles a row whose address, name, times and IPs are of the usual form
(an address at a domain seen valid before, a one-line name, UTC times whose day and clock
were seen valid before, an IP of the usual characters) and hands every other row to the
general function, which decides and words its errors. So both give the same result for
every row (tests/test_subscribers_formats.py checks it on every fixture); this one only
avoids a dozen function calls and branches per row, which matter for a million rows.
"""

from __future__ import annotations

from typing import Callable

from pipeline.subscribers.addresses import _FAST_LOCAL, _GOOD_DOMAINS, MAX_EMAIL, MAX_NAME, MAX_TEXT
from pipeline.subscribers.formats.common import _CLOCKS, _DAYS, _SEPARATORS, _UTC_SUFFIXES, Spec, _encode_string


def suits(spec: Spec) -> bool:
    return (spec.unescape is None and not spec.exact and spec.json_attributes is None
            and spec.consent_text is None and spec.consent_source is None and spec.user_agent is None
            and spec.consent_at is None and len(spec.created) <= 1 and len(spec.confirmed) <= 1
            and len(spec.unsubscribed) <= 1)


def compile_mapper(spec: Spec, prefix: str, now: str, general: Callable[[list], tuple]) -> Callable[[list], tuple]:
    """The generated function for ``spec`` (see the module docstring); ``general`` decides
    every row it does not handle itself."""
    # on purpose one function: the generated code reads best as one template from top to bottom
    code = ["def fast(row):",
            f"    e = row[{spec.email}].strip().lower()",
            "    l, at, d = e.rpartition('@')",
            f"    if not at or d not in GOOD or len(e) > {MAX_EMAIL} or len(l) > 64:",
            "        return general(row)",
            # letters, digits and single inner dots (most addresses) without the regular expression
            "    if not (l.isascii() and l.replace('.', '').isalnum() and l[0] != '.' and l[-1] != '.'"
            " and '..' not in l) and LOCAL(l) is None:",
            "        return general(row)"]
    if spec.name is not None:
        code.append(f"    n = row[{spec.name}].strip()")
    elif spec.first is not None and spec.last is not None:
        code.append(f"    n = (row[{spec.first}] + ' ' + row[{spec.last}]).strip()")
    elif spec.first is not None:
        code.append(f"    n = row[{spec.first}].strip()")
    else:
        code.append("    n = ''")
    # isprintable() is False for every control character (and for a few harmless ones, which
    # the general function then accepts)
    code += [f"    if len(n) > {MAX_NAME} or not n.isprintable():", "        return general(row)"]
    code.append("    st = STATUS" if isinstance(spec.status, str) else "    st = STATUS(row)")
    for var, idx in (("c", spec.created), ("f", spec.confirmed), ("u", spec.unsubscribed)):
        if not idx:
            code.append(f"    {var} = {var}t = None")
            continue
        code += [f"    {var} = row[{idx[0]}]",
                 f"    if {var}:",
                 f"        if {var}[10:11] not in SEP or {var}[:10] not in DAYS or {var}[11:19] not in CLOCKS"
                 f" or {var}[19:] not in SUFFIX:",
                 "            return general(row)",
                 f"        {var}t = {var}[:10] + ' ' + {var}[11:19] + '.000000'",
                 "    else:",
                 f"        {var} = {var}t = None"]
    for var, idx in (("oip", spec.optin_ip), ("fip", spec.confirm_ip)):
        if idx is None:
            code.append(f"    {var} = None")
            continue
        code += [f"    {var} = row[{idx}] or None",  # only IP characters, 2 to 45 of them
                 f"    if {var} is not None and ({var}.strip(IPCHARS) or not 2 <= len({var}) <= 45):",
                 "        return general(row)"]
    code += ["    text = PREFIX",
             "    if c:",
             "        text += ', subscribed ' + c + ' from ' + oip if oip else ', subscribed ' + c",
             "    if f:",
             "        text += ', confirmed ' + f + ' from ' + fip if fip else ', confirmed ' + f"]
    if spec.attributes:
        code.append("    parts = []")
        for n, (key, i) in enumerate(spec.attributes):
            code += [f"    if row[{i}]:", f"        parts.append(K{n} + ENC(row[{i}]))"]
        code += ["    if parts:",
                 "        x = '{' + ','.join(parts) + '}'",
                 f"        if len(x) > {MAX_TEXT}:",
                 "            return general(row)",
                 "    else:",
                 "        x = None"]
    else:
        code.append("    x = None")
    code += ["    if ut is None and st == 'unsubscribed':",
             "        ut = NOW",
             "    return (e, n, st, ct or ft or NOW, None if st == 'pending' else ft or ct or NOW, ut, 'import',",
             "            fip or oip, None, text, ft or ct or NOW, x)"]
    env = dict(general=general, GOOD=_GOOD_DOMAINS, LOCAL=_FAST_LOCAL.fullmatch,
               STATUS=spec.status, SEP=_SEPARATORS, DAYS=_DAYS, CLOCKS=_CLOCKS, SUFFIX=_UTC_SUFFIXES,
               IPCHARS="0123456789abcdefABCDEF:.", PREFIX=prefix, NOW=now, ENC=_encode_string,
               **{f"K{n}": _encode_string(key) + ":" for n, (key, _) in enumerate(spec.attributes)})
    exec(compile("\n".join(code), f"<row mapper for {spec.platform}>", "exec"), env)  # noqa: S102 - our own code
    return env["fast"]
