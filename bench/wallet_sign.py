"""Benchmark: signed Apple Wallet passes per second in one process, ``wallet.apple.pkpass_build`` against the
npm package ``passkit-generator`` on the same cards, and against the machine's RSA-2048 signing ceiling.

    python bench/wallet_sign.py [--passes 300] [--seconds 5] [--verify 5]

No database. The command:

1. makes a demo chain with ``wallet.demo_ca`` (root → WWDR-like intermediate → Pass Type ID certificate, RSA-2048)
   in a temporary directory;
2. builds ``--passes`` distinct cards' ``PassContent`` (different serials, tokens, card numbers, names, balances,
   tiers, back-of-pass texts with their ru/uk translations; the same theme images: a logo, an icon and a strip,
   made once with Pillow) and times ``pkpass_build`` for each, in this process. The first build is **cold** (the
   images are rendered and PNG-encoded at @1x/@2x/@3x then, as for the first pass of a theme version after a
   restart); the timed rounds are **warm**: the rendered images come from the in-process cache keyed by the theme
   version, as in production. Every round builds all the passes; rounds repeat until ``--seconds`` have passed;
3. installs ``passkit-generator@3`` into ``var/bench/passkit/`` if it is missing (``npm install``), writes the same
   passes' files (our ``pass.json`` bytes, the same rendered PNGs and ``pass.strings`` files) and the same
   certificate, key and WWDR under ``var/bench/wallet_sign/``, and runs a Node script (written there too) that
   loads them into memory, then builds and signs each pass with ``new PKPass(buffers, certificates)`` and
   ``getAsBuffer()``, in rounds the same way;
4. runs ``openssl speed -seconds 5 rsa2048`` (one process) before our builds and again after the Node run, and
   takes the mean of the two sign/s (the box is shared: the two show how much the ceiling moved). ``openssl
   speed`` divides by its user CPU time, so ours is set against it per CPU second (``time.process_time``), and
   per wall second beside it;
5. verifies ``--verify`` passes of each side the way a phone's checks can be reproduced offline: every file is in
   the manifest with its SHA-1 and vice versa, ``pass.json`` carries the card's serial and the certificate's ids,
   and ``openssl smime -verify`` of the detached signature over ``manifest.json`` passes against the demo root;

and prints a Markdown table: ours passes/s, passkit-generator passes/s, the ratio (target ≥ 40×), the RSA-2048
sign rate and ours as a share of it (target ≥ 50 %). ``--profile N`` then prints a cProfile of N warm builds.
"""

import argparse
import base64
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

from common import REPO, engine_state, load_average, table

CACHE = REPO / "var" / "bench"
PASSKIT_DIR = CACHE / "passkit"
WORK_DIR = CACHE / "wallet_sign"
PASSKIT_VERSION = "passkit-generator@3"
NODE = shutil.which("node") or "/usr/bin/node"
NPM = shutil.which("npm") or "npm"
OPENSSL = shutil.which("openssl") or "openssl"
SEED = 20261206

NODE_SCRIPT = r"""
// Written by bench/wallet_sign.py: build and sign the benchmark's passes with passkit-generator, in rounds.
const fs = require("fs");
const path = require("path");
const { PKPass } = require("passkit-generator");
const packageJson = path.join(path.dirname(require.resolve("passkit-generator")), "..", "..", "package.json");

const [work, seconds, keep] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const read = (name) => fs.readFileSync(path.join(work, name));
const certificates = { wwdr: read("wwdr.pem"), signerCert: read("pass.pem"), signerKey: read("pass.key") };
const shared = {};
for (const name of fs.readdirSync(path.join(work, "shared"))) shared[name] = read(path.join("shared", name));
const passes = [];
for (const serial of fs.readdirSync(path.join(work, "passes")).sort()) {
  const directory = path.join(work, "passes", serial);
  const buffers = { ...shared };
  for (const name of fs.readdirSync(directory)) {
    if (name.endsWith(".lproj")) {
      for (const inner of fs.readdirSync(path.join(directory, name))) {
        buffers[name + "/" + inner] = fs.readFileSync(path.join(directory, name, inner));
      }
    } else {
      buffers[name] = fs.readFileSync(path.join(directory, name));
    }
  }
  passes.push([serial, buffers]);
}
const build = ([serial, buffers]) => new PKPass(buffers, certificates).getAsBuffer();
const out = path.join(work, "node-out");
fs.mkdirSync(out, { recursive: true });
const first = process.hrtime.bigint();
const sample = build(passes[0]);
const coldMs = Number(process.hrtime.bigint() - first) / 1e6;
fs.writeFileSync(path.join(out, passes[0][0] + ".pkpass"), sample);
const rounds = [];
const started = process.hrtime.bigint();
const cpuStarted = process.cpuUsage();
let built = 0;
do {
  const roundStart = process.hrtime.bigint();
  for (const item of passes) {
    const data = build(item);
    if (rounds.length === 0 && built < keep) fs.writeFileSync(path.join(out, item[0] + ".pkpass"), data);
    built += 1;
  }
  rounds.push(Number(process.hrtime.bigint() - roundStart) / 1e9);
} while (Number(process.hrtime.bigint() - started) / 1e9 < seconds);
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStarted);
console.log(JSON.stringify({
  built, elapsed, rounds, coldMs, cpuSeconds: (cpu.user + cpu.system) / 1e6,
  version: JSON.parse(fs.readFileSync(packageJson)).version, node: process.version,
}));
"""


# --- Inputs: the chain, the theme images, the cards ----------------------------------------------------------


def django_setup() -> None:
    """Django's settings without a database (the builder needs translations and timezone only)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    import django

    django.setup()


def theme_images(rng: random.Random):
    """A theme's logo (480×150), icon (300×300) and strip (1125×369): gradients, shapes and text, as a designer's
    PNG exports look (they compress like real artwork, unlike flat test squares)."""
    from PIL import Image, ImageDraw

    from wallet.content import PassImages

    def gradient(size, start, end):
        width, height = size
        image = Image.new("RGB", size)
        draw = ImageDraw.Draw(image)
        for x in range(width):
            share = x / max(1, width - 1)
            colour = tuple(round(a + (b - a) * share) for a, b in zip(start, end, strict=True))
            draw.line([(x, 0), (x, height)], fill=colour)
        return image, draw

    def png(image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    strip = Image.new("RGB", (1125, 369), (248, 187, 208))
    draw = ImageDraw.Draw(strip)
    for band in range(8):
        shade = (248 - band * 7, 187 - band * 20, 208 - band * 15)
        draw.rectangle([band * 141, 0, band * 141 + 140, 369], fill=shade)
    for _ in range(12):
        x, y, r = rng.randrange(1125), rng.randrange(369), rng.randrange(20, 90)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 247, 243), outline=(194, 24, 91), width=4)
    draw.text((40, 280), "Every 10th coffee is on us", fill=(59, 31, 43), font_size=56)
    logo = Image.new("RGBA", (480, 150), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.rounded_rectangle([4, 4, 146, 146], radius=30, fill=(194, 24, 91, 255))
    draw.text((170, 45), "Kvitka Club", fill=(59, 31, 43, 255), font_size=48)
    icon, draw = gradient((300, 300), (194, 24, 91), (138, 75, 99))
    draw.ellipse([50, 50, 250, 250], fill=(255, 247, 243))
    draw.text((150, 150), "K", fill=(194, 24, 91), font_size=150, anchor="mm")
    return PassImages(logo=png(logo), icon=png(icon), strip=png(strip))


def cards_content(count: int, rng: random.Random) -> list:
    """``count`` cashback cards laid out as ``wallet.content.pass_content`` lays out one (tier header, balance,
    worth, promo, member, back: card number, next tier, expiring points, the cabinet link), every text with its
    ru/uk translation from Kartka's catalogs; the per-card texts (next tier, expiries) make each card's
    ``pass.strings`` its own, as in production."""
    from django.utils import translation
    from django.utils.translation import gettext

    from wallet import content as wc
    from wallet.content import PassContent, PassField

    images = theme_images(rng)
    fixed = {}
    for language in ("ru", "uk"):
        with translation.override(language):
            fixed[language] = {text: gettext(text) for text in wc.FIXED_TEXTS}
    first_names = ["Olena", "Taras", "Iryna", "Andrii", "Maria", "Dmytro", "Sofiia", "Oleh", "Anna", "Yurii"]
    last_names = ["Koval", "Shevchenko", "Bondarenko", "Tkachenko", "Kravchenko", "Oliinyk", "Melnyk", "Lysenko"]
    tiers = [("Bronze", "Silver", 5000), ("Silver", "Gold", 20000), ("Gold", "", 0)]
    ru_tier = {"Silver": "Серебро", "Gold": "Золото"}
    uk_tier = {"Silver": "Срібло", "Gold": "Золото"}
    passes = []
    for index in range(count):
        number = f"2{index + 1:012d}"
        name = f"{rng.choice(first_names)} {rng.choice(last_names)}"
        points = Decimal(rng.randrange(0, 500_000)) / 100
        promo = Decimal(rng.randrange(0, 5_000)) / 100 if index % 3 == 0 else Decimal(0)
        tier, next_tier, threshold = tiers[index % 3]
        back = [PassField("number", wc.LABEL_NUMBER, number)]
        strings = {language: dict(table) for language, table in fixed.items()}
        if next_tier:
            left = rng.randrange(1, threshold)
            english = f"Spend ₴{left:,} more to reach {next_tier}"
            back.append(PassField("next_tier", wc.LABEL_NEXT_TIER, english))
            strings["ru"][english] = f"Ещё ₴{left:,} до уровня {ru_tier[next_tier]}"
            strings["uk"][english] = f"Ще ₴{left:,} до рівня {uk_tier[next_tier]}"
        if points:
            expiring = (points / 7).quantize(Decimal("0.01"))
            day = 1 + index % 28
            english = f"{expiring} points expire — January {day}, 2027"
            back.append(PassField("expiring", wc.LABEL_EXPIRES, english))
            strings["ru"][english] = f"{expiring} баллов сгорят — {day} января 2027 г."
            strings["uk"][english] = f"{expiring} балів згорять — {day} січня 2027 р."
        back.append(
            PassField(
                "account", wc.LABEL_ACCOUNT, "https://kvitka.example/account/", link="https://kvitka.example/account/"
            )
        )
        secondary = [PassField("worth", wc.LABEL_WORTH, points, change_message=wc.CHANGE_WORTH, currency="UAH")]
        if promo:
            secondary.append(PassField("promo", wc.LABEL_PROMO, promo))
        passes.append(
            PassContent(
                card_id=index + 1,
                program_id=1,
                serial=f"{rng.getrandbits(128):032x}",
                authentication_token=base64.urlsafe_b64encode(rng.randbytes(24)).decode(),
                organization="Kvitka",
                program_name="Kvitka Club",
                description=wc.DESCRIPTION,
                card_number=number,
                barcode=number,
                member_name=name,
                kind="cashback",
                card_type_name="Kvitka Cashback",
                points=points,
                points_label=wc.LABEL_POINTS,
                secondary_points=promo or None,
                secondary_points_label=wc.LABEL_PROMO if promo else "",
                tier_name=tier,
                header_fields=(PassField("tier", wc.LABEL_TIER, tier, change_message=wc.CHANGE_TIER),),
                primary_fields=(PassField("balance", wc.LABEL_POINTS, points, change_message=wc.CHANGE_BALANCE),),
                secondary_fields=tuple(secondary),
                auxiliary_fields=(PassField("member", wc.LABEL_MEMBER, name),),
                back_fields=tuple(back),
                background="#fff7f3",
                foreground="#3b1f2b",
                label_colour="#8a4b63",
                images=images,
                images_version="t1.r1",
                strings=strings,
                portal_url="https://kvitka.example/account/",
            )
        )
    return passes


# --- Ours ----------------------------------------------------------------------------------------------------

WEB_SERVICE_URL = "https://kvitka.example/wallet/apple"


def ours_run(passes: list, credentials, *, seconds: float, keep: int) -> dict:
    """The cold first build, then warm rounds over every pass until ``seconds`` have passed."""
    from wallet import apple

    apple._images_cache.items.clear()
    apple._strings_files.cache_clear()
    started = time.perf_counter()
    first = apple.pkpass_build(passes[0], credentials, web_service_url=WEB_SERVICE_URL)
    cold_ms = (time.perf_counter() - started) * 1000
    samples = {passes[0].serial: first}
    per_pass, rounds = [], []
    cpu_started, started = time.process_time(), time.perf_counter()
    while True:
        round_started = time.perf_counter()
        for content in passes:
            t0 = time.perf_counter()
            data = apple.pkpass_build(content, credentials, web_service_url=WEB_SERVICE_URL)
            per_pass.append(time.perf_counter() - t0)
            if len(samples) < keep:
                samples[content.serial] = data
        rounds.append(time.perf_counter() - round_started)
        if time.perf_counter() - started >= seconds:
            break
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "built": len(per_pass),
        "elapsed": elapsed,
        "rate": len(per_pass) / elapsed,
        "round_rates": [len(passes) / duration for duration in rounds],
        "cpu_ms": cpu * 1000 / len(per_pass),
        "p50_ms": statistics.median(per_pass) * 1000,
        "p99_ms": sorted(per_pass)[int(0.99 * (len(per_pass) - 1))] * 1000,
        "cold_ms": cold_ms,
        "size": len(first),
        "samples": samples,
    }


# --- passkit-generator ---------------------------------------------------------------------------------------


def passkit_ensure() -> None:
    if (PASSKIT_DIR / "node_modules" / "passkit-generator" / "package.json").exists():
        return
    PASSKIT_DIR.mkdir(parents=True, exist_ok=True)
    if not (PASSKIT_DIR / "package.json").exists():
        (PASSKIT_DIR / "package.json").write_text('{"private": true}\n')
    print(f"installing {PASSKIT_VERSION} into {PASSKIT_DIR} …", flush=True)
    subprocess.run([NPM, "install", "--no-audit", "--no-fund", PASSKIT_VERSION], cwd=PASSKIT_DIR, check=True)


def node_inputs(passes: list, credentials, chain: dict[str, Path]) -> None:
    """The same files for Node: our ``pass.json`` bytes and ``pass.strings`` files per pass, the rendered images
    once (they are the same for every pass), the chain's PEM files."""
    from wallet import apple

    if WORK_DIR.exists():
        shutil.rmtree(WORK_DIR)
    (WORK_DIR / "shared").mkdir(parents=True)
    for name in ("pass.pem", "pass.key", "wwdr.pem", "root.pem"):
        shutil.copyfile(chain[name], WORK_DIR / name)
    for file in apple.pass_images(passes[0]):
        (WORK_DIR / "shared" / file.name).write_bytes(file.data)
    for content in passes:
        directory = WORK_DIR / "passes" / content.serial
        directory.mkdir(parents=True)
        data = apple.pass_json(content, credentials, web_service_url=WEB_SERVICE_URL)
        (directory / "pass.json").write_bytes(json.dumps(data, ensure_ascii=False).encode())
        for file in apple.pass_strings(content, apple.english_keys(data)):
            (directory / file.name).parent.mkdir(exist_ok=True)
            (directory / file.name).write_bytes(file.data)
    (WORK_DIR / "passkit_bench.js").write_text(NODE_SCRIPT)


def node_run(*, seconds: float, keep: int) -> dict:
    environment = {**os.environ, "NODE_PATH": str(PASSKIT_DIR / "node_modules")}
    completed = subprocess.run(
        [NODE, str(WORK_DIR / "passkit_bench.js"), str(WORK_DIR), str(seconds), str(keep)],
        cwd=PASSKIT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"passkit-generator run failed:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    count = len(list((WORK_DIR / "passes").iterdir()))
    result["rate"] = result["built"] / result["elapsed"]
    result["round_rates"] = [count / duration for duration in result["rounds"]]
    result["cpu_ms"] = result["cpuSeconds"] * 1000 / result["built"]
    result["samples"] = {path.stem: path.read_bytes() for path in sorted((WORK_DIR / "node-out").glob("*.pkpass"))}
    return result


# --- The ceiling, the checks ---------------------------------------------------------------------------------


def openssl_rsa2048(seconds: int) -> float:
    completed = subprocess.run(
        [OPENSSL, "speed", "-seconds", str(seconds), "rsa2048"], capture_output=True, text=True, check=True
    )
    for line in completed.stdout.splitlines():
        match = re.match(r"\s*rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", line)
        if match:
            return float(match.group(1))
    sys.exit(f"cannot read openssl speed's output:\n{completed.stdout}")


def pkpass_verify(data: bytes, *, serial: str, credentials, root: Path) -> str:
    """ "" when the bundle is sound, else what is wrong."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    manifest = json.loads(files.get("manifest.json", b"{}"))
    listed = set(files) - {"manifest.json", "signature"}
    if set(manifest) != listed:
        return f"manifest lists {sorted(set(manifest) ^ listed)} wrongly"
    for name, digest in manifest.items():
        if hashlib.sha1(files[name], usedforsecurity=False).hexdigest() != digest:
            return f"SHA-1 of {name} differs from the manifest"
    pass_json = json.loads(files["pass.json"])
    if pass_json.get("serialNumber") != serial:
        return f"serial {pass_json.get('serialNumber')!r}, expected {serial!r}"
    if (pass_json.get("passTypeIdentifier"), pass_json.get("teamIdentifier")) != (
        credentials.pass_type_identifier,
        credentials.team_identifier,
    ):
        return "pass type or team id differs from the certificate's"
    if "icon.png" not in files:
        return "no icon.png"
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "signature").write_bytes(files["signature"])
        Path(directory, "manifest.json").write_bytes(files["manifest.json"])
        command = [OPENSSL, "smime", "-verify", "-binary", "-inform", "DER", "-in", "signature", "-content"]
        command += ["manifest.json", "-CAfile", str(root), "-purpose", "any", "-out", os.devnull]
        completed = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or "Verification successful" not in completed.stderr:
        return f"openssl smime -verify: {completed.stderr.strip()[:300]}"
    return ""


def signature_digest(data: bytes) -> str:
    """The digest algorithm of the bundle's signature, as ``openssl cms -cmsout -print`` names it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        signature = archive.read("signature")
    completed = subprocess.run(
        [OPENSSL, "cms", "-cmsout", "-print", "-inform", "DER"], input=signature, capture_output=True, check=False
    )
    match = re.search(rb"digestAlgorithm:\s*\n\s*algorithm: (\S+)", completed.stdout)
    return match.group(1).decode() if match else "?"


def profile(passes: list, credentials, count: int) -> None:
    from wallet import apple

    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(count):
        apple.pkpass_build(passes[index % len(passes)], credentials, web_service_url=WEB_SERVICE_URL)
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(25)
    print(stream.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--passes", type=int, default=300, help="distinct cards, each built once per round")
    parser.add_argument("--seconds", type=float, default=5, help="each side repeats rounds until this long")
    parser.add_argument("--openssl-seconds", type=int, default=5)
    parser.add_argument("--verify", type=int, default=5, help="passes of each side checked with openssl")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="then profile N warm builds")
    parser.add_argument("--skip-node", action="store_true", help="ours and openssl only")
    options = parser.parse_args()

    load = load_average()
    django_setup()
    from wallet.credentials import AppleCredentials
    from wallet.demo_ca import demo_ca_issue, demo_ca_write

    rng = random.Random(SEED)
    temporary = tempfile.TemporaryDirectory(prefix="kartka-wallet-sign-")
    ca = demo_ca_issue(
        root_name="Bench Root CA",
        wwdr_name="Bench WWDR intermediate",
        organization="Kartka bench",
        pass_type_identifier="pass.example.kartka.bench",
        team_identifier="BENCH12345",
    )
    chain = demo_ca_write(ca, Path(temporary.name))
    credentials = AppleCredentials(
        pass_type_identifier=ca.pass_type_identifier,
        team_identifier=ca.team_identifier,
        certificate=ca.certificate,
        key=ca.key,
        wwdr=ca.wwdr,
    )
    passes = cards_content(options.passes, rng)
    print(
        f"wallet signing benchmark · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} vCPU · "
        f"Python {sys.version.split()[0]} · load before start {load} · {engine_state()}"
    )
    print(f"{len(passes)} cards, seed {SEED}, demo chain in {temporary.name}", flush=True)

    sign_rates = [openssl_rsa2048(options.openssl_seconds)]
    print(f"  openssl speed rsa2048 (before): {sign_rates[0]:.0f} sign/s · load {load_average()}", flush=True)
    ours = ours_run(passes, credentials, seconds=options.seconds, keep=options.verify)
    print(
        f"  ours: cold first build {ours['cold_ms']:.1f} ms; warm {ours['rate']:.0f} passes/s "
        f"({ours['built']} builds, p50 {ours['p50_ms']:.2f} ms, p99 {ours['p99_ms']:.2f} ms, "
        f"{ours['cpu_ms']:.2f} ms CPU/pass), {ours['size']} bytes a pass · load {load_average()}",
        flush=True,
    )
    node = None
    if not options.skip_node:
        passkit_ensure()
        node_inputs(passes, credentials, chain)
        node = node_run(seconds=options.seconds, keep=options.verify)
        print(
            f"  passkit-generator {node['version']} (Node {node['node']}): cold first build {node['coldMs']:.0f} ms; "
            f"{node['rate']:.1f} passes/s ({node['built']} builds, {node['cpu_ms']:.1f} ms CPU/pass) "
            f"· load {load_average()}",
            flush=True,
        )
    sign_rates.append(openssl_rsa2048(options.openssl_seconds))
    print(f"  openssl speed rsa2048 (after): {sign_rates[1]:.0f} sign/s · load {load_average()}", flush=True)
    sign_rate = statistics.mean(sign_rates)

    serials = {content.serial for content in passes}
    problems = []
    checked = {"ours": 0, "passkit-generator": 0}
    sides = [("ours", ours["samples"])] + ([("passkit-generator", node["samples"])] if node else [])
    digests = {}
    for side, samples in sides:
        for serial, data in list(samples.items())[: options.verify]:
            problem = pkpass_verify(data, serial=serial, credentials=credentials, root=chain["root.pem"])
            checked[side] += 1
            if serial not in serials:
                problem = problem or "unknown serial"
            if problem:
                problems.append(f"{side} {serial}: {problem}")
            digests.setdefault(side, signature_digest(data))
    for side, count in checked.items():
        if count:
            print(f"  verified {count} {side} passes against the demo root (signature digest {digests[side]})")
    for problem in problems:
        print(f"  VERIFY FAILED: {problem}")

    ours_rate = ours["rate"]
    rows = [
        (
            "ours (`pkpass_build`, warm)",
            f"{ours_rate:,.0f}",
            f"{ours['cpu_ms']:.2f}",
            f"{ours['p50_ms']:.2f} / {ours['p99_ms']:.2f}",
            f"{ours['cold_ms']:.0f}",
        )
    ]
    if node:
        rows.append(
            (
                f"passkit-generator {node['version']}",
                f"{node['rate']:,.1f}",
                f"{node['cpu_ms']:.1f}",
                "",
                f"{node['coldMs']:.0f}",
            )
        )
    rows.append(
        (
            "openssl speed rsa2048, sign/s (mean of before / after)",
            f"{sign_rate:,.0f} ({sign_rates[0]:,.0f} / {sign_rates[1]:,.0f})",
            f"{1000 / sign_rate:.2f}",
            "",
            "",
        )
    )
    print()
    print(table(rows, ("", "passes/s", "CPU ms/pass", "p50 / p99 ms", "cold first ms")))
    print()
    targets = []
    if node:
        ratio = ours_rate / node["rate"]
        targets.append(("ours / passkit-generator", f"{ratio:.0f}×", "≥ 40×", "met" if ratio >= 40 else "missed"))
    # ``openssl speed`` divides by its user CPU time (unless -elapsed), so ours is compared per CPU second too;
    # per wall second (other tenants' work preempts us) it is shown beside it.
    cpu_rate = 1000 / ours["cpu_ms"]
    share = cpu_rate / sign_rate
    targets.append(
        (
            "ours per CPU second / RSA-2048 signs per CPU second",
            f"{share:.0%} ({cpu_rate:,.0f} / {sign_rate:,.0f}; per wall second {ours_rate / sign_rate:.0%})",
            "≥ 50 %",
            "met" if share >= 0.5 else "missed",
        )
    )
    print(table(targets, ("", "figure", "target", "")))
    print(
        f"\nround rates, ours: {', '.join(f'{rate:.0f}' for rate in ours['round_rates'])}"
        + (f"; passkit-generator: {', '.join(f'{rate:.1f}' for rate in node['round_rates'])}" if node else "")
    )
    print(f"load after: {load_average()}")
    if options.profile:
        profile(passes, credentials, options.profile)
    temporary.cleanup()
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
