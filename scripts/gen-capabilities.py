#!/usr/bin/env python3
"""Writes src-tauri/capabilities/default.json from the seed's method list: the window may call
exactly one command per SDK operation plus the app's own commands, and listen to events.
src-tauri's unit test fails when the file drifts from the command table."""
import json, pathlib, re

root = pathlib.Path(__file__).resolve().parent.parent
listeners = {"on", "off", "addSignalingListener", "removeSignalingListener"}
methods = [l.strip() for l in (root / "crates/proto/data/methods.txt").read_text().splitlines()
           if l.strip() and l.strip() not in listeners]
build_rs = (root / "src-tauri/build.rs").read_text()
app = re.findall(r'"(app_[a-z_]+)"', build_rs.split("APP_COMMANDS")[1].split("];")[0])
snake = lambda m: re.sub(r"([A-Z])", lambda x: "_" + x.group(1).lower(), m)
perms = ["core:event:default"] + [f"allow-{snake(m).replace('_', '-')}" for m in methods] \
    + [f"allow-{c.replace('_', '-')}" for c in app]
cap = {
    "$schema": "../gen/schemas/desktop-schema.json",
    "identifier": "default",
    "description": "The main window: every SDK command, the app's own commands, and events.",
    "windows": ["main"],
    "permissions": perms,
}
(root / "src-tauri/capabilities/default.json").write_text(json.dumps(cap, indent=2) + "\n")
print(f"{len(perms)} permissions")
