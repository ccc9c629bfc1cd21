"""The result of :func:`~rfvkit.sendlist.build_send_list`: a :class:`SendPlan` that
re-checks itself against consent and opt-outs before it writes any file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rfvkit.errors import BadParameterError, RfvkitError
from rfvkit.optouts import optout_keys, phone_keys

__all__ = ["SendPlan"]


@dataclass(frozen=True, eq=False)
class SendPlan:
    """Who gets the message, who is held out, who is excluded and why (see :func:`build_send_list`)."""

    recipients: pd.DataFrame
    exclusions: pd.DataFrame
    summary: pd.DataFrame
    decisions: pd.DataFrame
    deferrals: pd.DataFrame
    previews: pd.DataFrame
    campaign_id: str
    send_at: pd.Timestamp
    settings: dict[str, Any] = field(default_factory=dict)
    _optouts: pd.DataFrame | None = field(default=None, repr=False)
    _consented: frozenset = field(default=frozenset(), repr=False)
    _reconsented: frozenset = field(default=frozenset(), repr=False)

    @property
    def treatment(self) -> pd.DataFrame:
        return self.recipients[self.recipients["group"] == "treatment"]

    def verify(self) -> None:
        """Re-check the treatment rows against consent and every opt-out; raise if any slips.

        Independent of how the plan was built: a number or customer id on the opt-out
        list, an unconsented customer, a phone that is not strict E.164 or a number
        listed twice makes it raise :class:`~rfvkit.errors.RfvkitError`.
        """
        from rfvkit.csvsafe import E164

        sent = self.treatment
        problems = []
        phones = sent["phone"].astype(str)
        if not phones.str.fullmatch(E164.pattern).all():
            problems.append("a phone that is not strict E.164")
        if phones.duplicated().any():
            problems.append("a number listed twice")
        if not sent["customer_id"].isin(self._consented).all():
            problems.append("a customer without recorded consent")
        if self._optouts is not None and len(self._optouts):
            out = self._optouts
            ids = set(out["customer_id"].dropna().astype(str)) if "customer_id" in out else set()
            keys = optout_keys(
                out["phone"] if "phone" in out else pd.Series(dtype=object),
                out.get("phone_e164", None),
            )
            own = phone_keys(sent["phone"])
            hit = (
                sent["customer_id"].isin(ids)
                | own["digits"].isin(keys)
                | own["national"].isin(keys)
            ) & ~sent["customer_id"].isin(self._reconsented)
            if hit.any():
                problems.append(f"{int(hit.sum())} opted-out customer(s)")
        if problems:
            raise RfvkitError(
                "send list refused: it holds " + ", ".join(problems) + "; nothing was written."
            )

    def write(
        self,
        out: str | Path,
        *,
        format: str = "rfvkit",
        overwrite: bool = False,
        max_rows: int | None = None,
    ) -> list[Path]:
        """Write ``send_list.csv``, ``send_log.csv`` and ``exclusions.csv`` (mode 0600).

        Parameters
        ----------
        out : path
            Folder; created if missing. It must be empty unless ``overwrite=True``.
        format : {"rfvkit", "klaviyo", "attentive"}
            Layout of ``send_list.csv``: rfvkit (``phone, first_name, message, send_at,
            customer_id``); Klaviyo's list import (``Phone Number, First Name, Country``,
            phone in E.164); Attentive's file-triggered messages (``Phone Number, Message,
            FirstName, External Id``, at most 500,000 rows per file, larger lists go to
            ``send_list_001.csv``, ``send_list_002.csv`` ...).
        overwrite : bool
            Allow a non-empty folder (files of the same names are replaced).
        max_rows : int, optional
            Rows per send-list file (default: 500,000 for attentive, unlimited otherwise).

        Returns
        -------
        list of Path
        """
        from rfvkit.csvsafe import write_csv

        layouts = ("rfvkit", "klaviyo", "attentive")
        if format not in layouts:
            raise BadParameterError(f"format: got {format!r}; allowed: {' | '.join(layouts)}.")
        folder = Path(out)
        if folder.exists() and any(folder.iterdir()) and not overwrite:
            raise BadParameterError(
                f"out: {folder} exists and is not empty; choose a new folder or pass overwrite=True."
            )
        self.verify()
        folder.mkdir(parents=True, exist_ok=True)
        sent = self.treatment
        stamp = sent["send_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        if format == "klaviyo":
            table = pd.DataFrame(
                {
                    "Phone Number": sent["phone"],
                    "First Name": sent["first_name"],
                    "Country": sent["country"],
                }
            )
            protect = ("Phone Number",)
        elif format == "attentive":
            table = pd.DataFrame(
                {
                    "Phone Number": sent["phone"],
                    "Message": sent["message"],
                    "FirstName": sent["first_name"],
                    "External Id": sent["customer_id"],
                }
            )
            protect = ("Phone Number",)
            max_rows = max_rows or 500_000
        else:
            table = pd.DataFrame(
                {
                    "phone": sent["phone"],
                    "first_name": sent["first_name"],
                    "message": sent["message"],
                    "send_at": stamp,
                    "customer_id": sent["customer_id"],
                }
            )
            protect = ("phone",)
        paths = []
        chunks = (
            [table]
            if not max_rows or len(table) <= max_rows
            else [table.iloc[i : i + max_rows] for i in range(0, len(table), max_rows)]
        )
        for number, chunk in enumerate(chunks, start=1):
            name = "send_list.csv" if len(chunks) == 1 else f"send_list_{number:03d}.csv"
            paths.append(write_csv(chunk, folder / name, mode=0o600, protect=protect))
        log = self.recipients.assign(
            campaign_id=self.campaign_id,
            sent_at=self.recipients["send_at"]
            .dt.tz_convert("UTC")
            .dt.strftime("%Y-%m-%d %H:%M:%S"),
        )[["campaign_id", "customer_id", "segment", "group", "sent_at"]]
        paths.append(write_csv(log, folder / "send_log.csv", mode=0o600))
        excluded = self.decisions[self.decisions["status"] != "recipient"]
        paths.append(
            write_csv(
                excluded.rename(columns={"status": "reason"})[["customer_id", "segment", "reason"]],
                folder / "exclusions.csv",
                mode=0o600,
            )
        )
        return paths

    def _repr_html_(self) -> str:
        return (
            f"<p><b>Send plan {self.campaign_id}</b>: {len(self.treatment):,} to send, "
            f"{int((self.recipients['group'] == 'holdout').sum()):,} held out, "
            f"{int(self.exclusions['customers'].sum()):,} excluded.</p>"
            + self.exclusions.to_html(index=False, border=0)
        )
