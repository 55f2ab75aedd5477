"""A small Dockerfile reader: the final stage's ENV, USER, WORKDIR, RUN, COPY, VOLUME, EXPOSE,
HEALTHCHECK, ENTRYPOINT and CMD, as the Docker builder would see them (exec forms only); FROM
with the default values of the ARGs declared before the first FROM."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stage:
    base: str
    name: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    workdir: str | None = None
    run: list[tuple[str | None, list[str] | str]] = field(default_factory=list)  # (USER, step)
    copy: list[tuple[list[str], str, str | None]] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)
    healthcheck: dict[str, str] = field(default_factory=dict)
    healthcheck_cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    stopsignal: str | None = None


def logical_lines(text: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        out.append((buf + stripped).strip())
        buf = ""
    if buf:
        out.append(buf.strip())
    return out


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: env.get(m.group(1) or m.group(2), ""), value)


def _exec_form(rest: str) -> list[str]:
    value = json.loads(rest)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), rest
    return value


def parse(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    for line in logical_lines(path.read_text()):
        instr, _, rest = line.partition(" ")
        instr, rest = instr.upper(), rest.strip()
        if instr == "ARG" and not stages:
            name, _, default = rest.partition("=")
            global_args[name] = default
            continue
        if instr == "FROM":
            parts = rest.split()
            base = _expand(parts[0], global_args)
            stages.append(Stage(base=base, name=parts[2] if len(parts) > 2 else None))
            continue
        st = stages[-1]
        if instr == "ENV":
            for token in shlex.split(rest):
                key, _, value = token.partition("=")
                st.env[key] = _expand(value, st.env)
        elif instr == "USER":
            st.user = rest
        elif instr == "WORKDIR":
            st.workdir = rest
        elif instr == "RUN":
            st.run.append((st.user, _exec_form(rest) if rest.startswith("[") else rest))
        elif instr == "COPY":
            parts = rest.split()
            frm = next((p.split("=", 1)[1] for p in parts if p.startswith("--from=")), None)
            files = [p for p in parts if not p.startswith("--")]
            st.copy.append((files[:-1], files[-1], frm))
        elif instr == "VOLUME":
            st.volumes += _exec_form(rest) if rest.startswith("[") else rest.split()
        elif instr == "EXPOSE":
            st.expose += rest.split()
        elif instr == "HEALTHCHECK":
            opts, _, cmd = rest.partition("CMD")
            for opt in opts.split():
                k, _, v = opt.lstrip("-").partition("=")
                st.healthcheck[k] = v
            st.healthcheck_cmd = _exec_form(cmd.strip())
        elif instr == "ENTRYPOINT":
            st.entrypoint = _exec_form(rest)
        elif instr == "CMD":
            st.cmd = _exec_form(rest)
        elif instr == "STOPSIGNAL":
            st.stopsignal = rest
    return stages
