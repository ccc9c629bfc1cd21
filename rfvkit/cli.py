"""The ``rfvkit`` command: build the scored table, run the reports, make demo data.

Every job exits 0 on success, 2 with a one-line reason when an input file is
rejected (unreadable, wrong format, no usable rows), and 1 with a one-line reason on
any other error (bad parameters, a failed notebook), so a scheduler (cron, Airflow)
can trust the exit code. ``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rfvkit import __version__
from rfvkit.errors import RfvkitError

__all__ = ["main"]

EPILOG = """\
examples:
  rfvkit report --params params/sample.yaml            # the full report on the shipped sample
  rfvkit report --params params/online_retail.yaml --name retail-2011 -p bins=4
  rfvkit table --params params/sample.yaml              # scored + segmented table only
  rfvkit demo --out data/sample --customers 5000 --seed 0
  rfvkit sendlist --params params/sample.yaml --segments "At Risk" --message-file offer.txt \
      --send-at 2026-01-15T15:00:00Z --out reports/winback
  rfvkit rules default --copy my_rules.yaml             # edit, then set rules: my_rules.yaml

Bring your own CRM export: copy params/sample.yaml, point data.transactions.path at
your file and map your column names under data.transactions.columns.
"""


def _add_params_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--params",
        default="params/sample.yaml",
        help="params YAML: data paths, column mappings, analysis options (default: %(default)s)",
    )
    parser.add_argument(
        "-p",
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one parameter, e.g. -p bins=4 -p as_of=2011-12-10 (repeatable)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,  # keeps `rfvkit --debug table ...` working too
        help="show the full traceback of an error as well",
    )


def _config(args: argparse.Namespace):
    from rfvkit.config import load_config, parse_override

    overrides = dict(parse_override(item) for item in args.overrides)
    return load_config(args.params, **overrides)


def _cmd_table(args: argparse.Namespace) -> int:
    from rfvkit.pipeline import analyse

    cfg = _config(args)
    started = time.perf_counter()
    result = analyse(cfg)
    name = Path(cfg.source).stem if cfg.source else "report"  # as run_report names it
    out = Path(args.out) if args.out else Path("reports") / name / "table"
    paths = result.write_table(out)
    print(
        f"{len(result.segmented):,} customers scored and segmented in "
        f"{time.perf_counter() - started:.1f} s"
    )
    for path in paths:
        print(f"  wrote {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from rfvkit.report import run_report

    cfg = _config(args)
    result = run_report(
        cfg,
        notebooks_dir=args.notebooks,
        jobs=args.jobs,
        name=args.name,
        reports_dir=Path(args.reports_dir),
        show_cells=args.cells,
    )
    if not result.ok:
        print(
            f"rfvkit: report failed: {result.failure} (the failed notebook is kept in "
            f"{result.failed_dir})",
            file=sys.stderr,
        )
        return 1
    print(f"Report ready: {result.index_html}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from rfvkit.demo import write_demo

    paths = write_demo(args.out, n_customers=args.customers, seed=args.seed)
    for path in paths.values():
        print(f"  wrote {path}")
    return 0


def _cmd_sendlist(args: argparse.Namespace) -> int:
    from rfvkit.config import load_config, parse_override
    from rfvkit.pipeline import analyse
    from rfvkit.sendlist import plan_from_config

    overrides = dict(parse_override(item) for item in args.overrides)
    for key in ("segments", "message_file", "send_at", "send_campaign_id", "holdout"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    if args.message_file:
        overrides["message_file"] = str(Path(args.message_file).resolve())
    cfg = load_config(args.params, **overrides)
    plan = plan_from_config(analyse(cfg))
    if plan is None:
        print("rfvkit: error: the params list no customers table; no send list.", file=sys.stderr)
        return 1
    paths = plan.write(args.out, format=args.format, overwrite=args.overwrite)
    ledger = plan.exclusions[plan.exclusions["customers"] > 0]
    groups = plan.recipients["group"].value_counts()
    print(
        f"{plan.campaign_id}: {int(groups.get('treatment', 0)):,} to send, "
        f"{int(groups.get('holdout', 0)):,} held out, {int(ledger['customers'].sum()):,} excluded"
    )
    for row in ledger.itertuples():
        print(f"  {row.reason:<45} {row.customers:>8,}  {row.share:6.1%}")
    total = plan.summary.set_index("segment").loc["All"]
    print(f"  SMS parts {int(total['sms_parts']):,}, cost {total['cost']:,.2f}")
    for path in paths:
        print(f"  wrote {path}")
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from rfvkit.rules import coverage, load_rules

    rules = load_rules(args.name)
    if args.copy_to:
        rules.to_yaml(args.copy_to)
        print(f"wrote {args.copy_to}: edit names or score ranges, then set `rules: {args.copy_to}`")
        return 0
    for rule in rules.rules:
        print(
            f"{rule.name:<20} R{rule.r[0]}-{rule.r[1]} F{rule.f[0]}-{rule.f[1]} V{rule.v[0]}-{rule.v[1]}"
        )
    gaps = coverage(rules)
    print(f"{len(gaps)} of {rules.bins**3} cells unnamed (-> {rules.fallback!r})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rfvkit",
        description="RFV customer segmentation for SMS marketing: score customers, name "
        "segments, and build repeatable offline HTML reports from a CRM export.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rfvkit {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of an error as well"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    report = sub.add_parser(
        "report",
        help="run the notebooks with papermill into reports/<name>/index.html",
        description="Run every notebook in notebooks/ with the given parameters and write a "
        "self-contained offline HTML report. Exit code 0 only when every notebook succeeded.",
    )
    _add_params_args(report)
    report.add_argument("--name", help="report folder name (default: the params file name)")
    report.add_argument("--reports-dir", default="reports", help="default: %(default)s")
    report.add_argument("--cells", action="store_true", help="show progress per cell")
    report.add_argument(
        "--notebooks",
        help="folder of NN_*.ipynb notebooks (default: the project's notebooks/, else the copy "
        "installed with rfvkit)",
    )
    report.add_argument(
        "--jobs",
        type=int,
        help="notebooks run at the same time, one kernel each (default: one per core)",
    )
    report.set_defaults(func=_cmd_report)

    table = sub.add_parser(
        "table",
        help="write the scored and segmented customer table (parquet + CSV) and the quality summary",
    )
    _add_params_args(table)
    table.add_argument("--out", help="output folder (default: reports/<name>/table)")
    table.set_defaults(func=_cmd_table)

    demo = sub.add_parser("demo", help="generate the seeded synthetic CRM (demo and tests)")
    demo.add_argument("--out", default="data/sample", help="output folder (default: %(default)s)")
    demo.add_argument("--customers", type=int, default=5000, help="default: %(default)s")
    demo.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    demo.set_defaults(func=_cmd_demo)

    sendlist = sub.add_parser(
        "sendlist",
        help="build a safe SMS send list (consent, opt-outs, caps, quiet hours, holdout)",
        description="Write send_list.csv, send_log.csv and exclusions.csv (mode 0600) for "
        "the chosen segments and print the exclusions ledger. Options override the params.",
    )
    _add_params_args(sendlist)
    sendlist.add_argument("--segments", help='comma-separated, e.g. "At Risk,Can\'t Lose Them"')
    sendlist.add_argument("--message-file", dest="message_file", help="UTF-8 SMS template")
    sendlist.add_argument("--send-at", dest="send_at", help="one instant, e.g. 2026-01-15T15:00Z")
    sendlist.add_argument("--campaign-id", dest="send_campaign_id", help="name in the send log")
    sendlist.add_argument("--holdout", help="share kept out to measure, 0..0.5")
    sendlist.add_argument("--out", required=True, help="output folder (must be empty)")
    sendlist.add_argument(
        "--format",
        default="rfvkit",
        choices=("rfvkit", "klaviyo", "attentive"),
        help="send_list.csv layout (default: %(default)s)",
    )
    sendlist.add_argument("--overwrite", action="store_true", help="allow a non-empty --out")
    sendlist.set_defaults(func=_cmd_sendlist)

    rules = sub.add_parser("rules", help="list a segment rule set or copy it to YAML for editing")
    rules.add_argument("name", nargs="?", default="default", help="default | r_rfm | path.yaml")
    rules.add_argument("--copy", dest="copy_to", metavar="PATH", help="write the rule set to PATH")
    rules.set_defaults(func=_cmd_rules)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rfvkit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RfvkitError as exc:
        _traceback(args)
        message = " ".join(str(exc).split())
        print(f"rfvkit: error: {message}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 1))
    except FileNotFoundError as exc:
        _traceback(args)
        print(f"rfvkit: error: file not found: {exc.filename or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rfvkit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line, the traceback on --debug
        _traceback(args)
        message = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        hint = "" if getattr(args, "debug", False) else "; rerun with --debug for the traceback"
        print(f"rfvkit: internal error: {message}{hint}", file=sys.stderr)
        return 1


def _traceback(args: argparse.Namespace) -> None:
    if getattr(args, "debug", False):
        import traceback

        traceback.print_exc(file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
