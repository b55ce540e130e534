"""The studio's widgets: a thin ipywidgets layer over :class:`~toolkit.studio.core.Studio`.

Every control writes into the studio and every view is drawn from it, so what the page shows is
what the spec saves. Labels come from the message catalog in the studio's language.

>>> from toolkit import bundled_library, load_library
>>> ui = StudioUI(Studio(load_library(bundled_library())), spec_path="session.yaml")
>>> ui.keyword.value = "banquet"  # the results follow the filters
>>> ui.results.value
'birthday-banquet-hospital'
>>> ui.pick_button.click()
>>> ui.studio.picks
['birthday-banquet-hospital']

A notebook shows ``ui`` (or ``ui.widget``); **Save** writes the session to ``spec_path``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from IPython.display import HTML

from toolkit.batch.formats import format_names
from toolkit.documents import handouts
from toolkit.errors import ToolkitError, requires_extra
from toolkit.i18n import catalog
from toolkit.render import escape, page, scoped_stylesheet
from toolkit.studio.core import FACETS, Studio, picking_documents, studio_param

if TYPE_CHECKING:
    from toolkit.batch.builder import BuildReport
    from toolkit.batch.worker import JobResult

with requires_extra("studio"):
    import ipywidgets as w

FRAME_HEIGHT = "560px"
# The results list shows at most this many cases (the count says how many match): a longer list is
# not read, only scrolled, and every entry is sent to the browser on each change.
MAX_LISTED = 100


def framed(fragment: str, lang: str, height: str = FRAME_HEIGHT) -> str:
    """A handout fragment in a frame of its own, so its stylesheet prints it as on paper and leaves the page alone."""
    return (
        f'<iframe class="lz-frame" style="width:100%;height:{height};border:1px solid #ccc;background:#fff" '
        f'srcdoc="{escape(page(fragment, lang))}"></iframe>'
    )


def inline(fragment: str, height: str = FRAME_HEIGHT) -> str:
    """A handout fragment shown in place under the stylesheet's screen rules, confined to it.

    Lighter than a frame (no page to create for every change), so the case preview, which follows
    every filter change, uses it; the casebook and outline previews are framed as pages.
    """
    return (
        f'<div class="lz-preview" style="height:{height};overflow:auto;border:1px solid #ccc;background:#fff">'
        f"<style>{scoped_stylesheet('.lz-preview')}</style>{fragment}</div>"
    )


class StudioUI:
    """The studio's controls and views. ``widget`` is what a notebook displays."""

    def __init__(self, studio: Studio, spec_path: Path | str = "session.yaml", message: str = "") -> None:
        self.studio = studio
        self.spec_path = Path(spec_path)
        lang = studio.lang
        t = catalog(lang)
        self._busy = False
        wide = w.Layout(width="100%")
        style = {"description_width": "7em"}

        # Filters: one dropdown per facet, years, keyword.
        titles = {
            "audience": t("studio.filter.audience"),
            "discipline": t("studio.filter.discipline"),
            "violation_type": t("studio.filter.violation_type"),
            "risk_post": t("studio.filter.risk_post"),
            "kind": t("studio.filter.kind"),
            "occasion": t("studio.filter.occasion"),
        }
        self.facets: dict[str, w.Dropdown] = {}
        for name, _ in FACETS:
            dropdown = w.Dropdown(
                options=[(t("studio.any"), ""), *studio.options(name)],
                value=getattr(studio.filters, name),
                description=titles[name],
                style=style,
                layout=wide,
            )
            dropdown.add_class(f"lz-filter-{name}")
            dropdown.observe(self._on_filter, names="value")
            self.facets[name] = dropdown
        first, last = studio.years()
        self.years = w.IntRangeSlider(
            value=(first, last), min=first, max=last, description=t("studio.filter.years"), style=style, layout=wide
        )
        self.years.observe(self._on_filter, names="value")
        self.keyword = w.Text(
            value=studio.filters.keyword,
            placeholder=t("studio.filter.keyword_hint"),
            description=t("studio.filter.keyword"),
            continuous_update=True,
            style=style,
            layout=wide,
        )
        self.keyword.add_class("lz-keyword")
        self.keyword.observe(self._on_filter, names="value")

        # Results and the preview of one case.
        self.count = w.HTML()
        self.count.add_class("lz-count")
        self.results = w.Select(options=[], rows=14, layout=wide)
        self.results.add_class("lz-results")
        self.results.observe(self._on_result, names="value")
        self.case_preview = w.HTML()
        self.pick_button = w.Button(description=t("studio.add"), icon="plus", button_style="primary")
        self.pick_button.add_class("lz-pick")
        self.pick_button.on_click(lambda _: self._pick())

        # Picks, in order.
        self.picks_label = w.HTML()
        self.picks = w.Select(options=[], rows=8, layout=wide)
        self.picks.add_class("lz-picks")
        buttons = []
        for label, icon, action in (
            (t("studio.up"), "arrow-up", lambda _: self._move(-1)),
            (t("studio.down"), "arrow-down", lambda _: self._move(1)),
            (t("studio.remove"), "times", lambda _: self._remove()),
        ):
            button = w.Button(description=label, icon=icon)
            button.on_click(action)
            buttons.append(button)
        self.up, self.down, self.remove = buttons

        # The session.
        self.audience = w.Dropdown(
            options=[(label, term) for label, term in studio.options("audience")],
            value=studio.audience,
            description=t("studio.audience"),
            style=style,
            layout=wide,
        )
        self.audience.add_class("lz-session-audience")
        self.theme = w.Dropdown(
            options=[(t("studio.theme_best"), ""), *((theme.title, theme.id) for theme in studio.texts.themes)],
            value=studio.theme,
            description=t("studio.theme"),
            style=style,
            layout=wide,
        )
        minutes = studio_param("minutes")
        self.minutes = w.IntSlider(
            value=studio.minutes,
            min=minutes.minimum,
            max=minutes.maximum,
            step=5,
            description=t("studio.minutes"),
            style=style,
            layout=wide,
        )
        self.documents = w.SelectMultiple(
            options=[(t(f"document.{name}"), name) for name in handouts()],
            value=tuple(studio.documents),
            description=t("studio.documents"),
            rows=len(handouts()),
            style=style,
            layout=wide,
        )
        self.documents.add_class("lz-documents")
        self.formats = w.SelectMultiple(
            options=list(format_names()),
            value=tuple(studio.formats),
            description=t("studio.formats"),
            rows=len(format_names()),
            style=style,
            layout=wide,
        )
        self.formats.add_class("lz-formats")
        for control in (self.audience, self.theme, self.minutes, self.documents, self.formats):
            control.observe(self._on_session, names="value")

        # Live previews of the documents that take the picks, and coverage.
        self.previews = {name: w.HTML() for name in picking_documents()}
        self.coverage = w.HTML()
        # The whole library's map does not change while the studio is open: drawn once, beside the picks'.
        self.library_coverage = studio.coverage_html(caption=t("studio.coverage.library"))
        self.tabs = w.Tab(children=[self.case_preview, *self.previews.values(), self.coverage])
        labels = [t(f"document.{name}") for name in self.previews]
        for index, title in enumerate((t("studio.case_preview"), *labels, t("studio.coverage"))):
            self.tabs.set_title(index, title)

        # Saving and building.
        self.path = w.Text(value=str(self.spec_path), description=t("studio.spec_path"), style=style, layout=wide)
        self.save_button = w.Button(description=t("studio.save"), icon="save", button_style="success")
        self.save_button.add_class("lz-save")
        self.save_button.on_click(lambda _: self.save())
        self.build_button = w.Button(description=t("studio.build"), icon="cogs")
        self.build_button.add_class("lz-build")
        self.build_button.on_click(lambda _: self.build())
        self.progress = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="100%", visibility="hidden"))
        self.progress.add_class("lz-progress")
        self.status = w.HTML(escape(message))
        self.status.add_class("lz-status")
        self.links = w.Output()  # outputs, not widget HTML, so that JupyterLab resolves the links to its files

        filters = w.VBox([w.HTML(f"<h3>{escape(t('studio.filters'))}</h3>"), *self.facets.values()])
        filters.children += (self.years, self.keyword)
        left = w.VBox([filters, self.count, self.results, self.pick_button], layout=w.Layout(width="50%"))
        saving = w.VBox(
            [self.path, w.HBox([self.save_button, self.build_button]), self.progress, self.status, self.links]
        )
        session = w.VBox(
            [
                w.HTML(f"<h3>{escape(t('studio.session'))}</h3>"),
                self.audience,
                self.theme,
                self.minutes,
                self.documents,
                self.formats,
                self.picks_label,
                self.picks,
                w.HBox(buttons),
                saving,
            ],
            layout=w.Layout(width="50%", padding="0 0 0 1em"),
        )
        self.widget = w.VBox([w.HTML(f"<h2>{escape(t('studio.title'))}</h2>"), w.HBox([left, session]), self.tabs])
        self.widget.add_class("lz-studio")
        self.refresh_results()
        self.refresh_session()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Displayed as its widgets (the notebook's last line shows the studio)."""
        return self.widget._repr_mimebundle_(**kwargs)

    # What the controls do

    def _on_filter(self, _change: Any = None) -> None:
        if self._busy:  # the facet labels being redrawn with new counts
            return
        first, last = self.years.value
        low, high = self.years.min, self.years.max
        self.studio.set_filters(
            **{name: dropdown.value for name, dropdown in self.facets.items()},
            date_from="" if first == low else str(first),
            date_to="" if last == high else str(last),
            keyword=self.keyword.value,
        )
        self.refresh_results()

    def _on_result(self, change: Any) -> None:
        if not self._busy:
            self.show_case(change["new"])

    def _on_session(self, _change: Any = None) -> None:
        self.studio.audience = self.audience.value
        self.studio.theme = self.theme.value
        self.studio.minutes = self.minutes.value
        self.studio.documents = list(self.documents.value)
        self.studio.formats = list(self.formats.value)
        self.refresh_session()
        self.show_case(self.results.value)

    def _pick(self) -> None:
        if self.results.value:
            try:
                self.studio.add(self.results.value)
            except ToolkitError as exc:
                self.status.value = escape(str(exc))
            self.refresh_session(self.results.value)

    def _move(self, step: int) -> None:
        if self.picks.value:
            self.studio.move(self.picks.value, step)
            self.refresh_session(self.picks.value)

    def _remove(self) -> None:
        if self.picks.value:
            self.studio.remove(self.picks.value)
            self.refresh_session()

    # Views drawn from the studio

    def refresh_results(self) -> None:
        """The results list, its count and the preview of the selected (or first) case, then the facet counts.

        Each widget's changes go to the browser as one message (``hold_sync``): a list's new options
        and its kept selection would otherwise be two redraws.
        """
        studio = self.studio
        t = catalog(studio.lang)
        ids = studio.results
        keep = self.results.value if self.results.value in ids[:MAX_LISTED] else (ids[0] if ids else None)
        self._busy = True
        try:
            with self.results.hold_sync():
                self.results.options = [(studio.label(case_id), case_id) for case_id in ids[:MAX_LISTED]]
                self.results.value = keep
        finally:
            self._busy = False
        text = t("studio.results", count=len(ids), total=len(studio.rows))
        if not ids:
            text += "\n" + t("studio.no_results")
        elif len(ids) > MAX_LISTED:
            text += "\n" + t("studio.listed", shown=MAX_LISTED)
        first, _, rest = text.partition("\n")
        self.count.value = f"<b>{escape(first)}</b>" + (f"<br>{escape(rest)}" if rest else "")
        self.show_case(keep)
        counts = studio.counts()
        self._busy = True
        try:
            for name, dropdown in self.facets.items():
                value = dropdown.value
                labelled = [(f"{label} · {counts[name][term]}", term) for label, term in studio.options(name)]
                with dropdown.hold_sync():
                    dropdown.options = [(t("studio.any"), ""), *labelled]
                    dropdown.value = value
        finally:
            self._busy = False

    def show_case(self, case_id: str | None) -> None:
        self.case_preview.value = inline(self.studio.preview(case_id)) if case_id else ""

    def refresh_session(self, selected: str | None = None) -> None:
        """The picks list, the previews of the documents that take them and the coverage maps."""
        studio = self.studio
        t = catalog(studio.lang)
        self._busy = True
        try:
            self.picks.options = [(f"{n}. {studio.label(cid)}", cid) for n, cid in enumerate(studio.picks, 1)]
            self.picks.value = selected if selected in studio.picks else None
        finally:
            self._busy = False
        self.picks_label.value = escape(
            t("studio.picks", count=len(studio.picks)) if studio.picks else t("studio.picks_empty")
        )
        for document, view in self.previews.items():
            view.value = framed(studio.document_preview(document), studio.lang)
        self.coverage.value = self.library_coverage + studio.coverage_html(
            studio.picks, caption=t("studio.coverage.selection")
        )

    def save(self) -> Path | None:
        """Save the spec where the path box says; the page says where, or what is wrong."""
        t = catalog(self.studio.lang)
        path = Path(self.path.value).expanduser()
        try:
            self.studio.save(path)
        except (ToolkitError, OSError) as exc:
            self.status.value = f'<span class="lz-problem">{escape(t("studio.problem", message=str(exc)))}</span>'
            return None
        self.spec_path = path
        self.status.value = f'<span class="lz-saved">{escape(t("studio.saved", path=str(path.resolve())))}</span>'
        return path

    def build(self) -> BuildReport | None:
        """Save the spec and build it, with a progress bar and links to the outputs."""
        t = catalog(self.studio.lang)
        path = self.save()
        if path is None:
            return None
        self.progress.layout.visibility = "visible"
        self.progress.value = 0

        def planned(todo: int, _cached: int) -> None:
            self.progress.max = max(todo, 1)
            self.status.value = escape(t("studio.building", count=todo))

        def finished(_result: JobResult) -> None:
            self.progress.value += 1

        try:
            report = self.studio.build(path, on_plan=planned, on_job=finished)
        except (ToolkitError, OSError) as exc:
            self.status.value = f'<span class="lz-problem">{escape(str(exc))}</span>'
            return None
        self.progress.value = self.progress.max
        counts = report.counts()
        index = report.out / "index.html"
        self.status.value = f'<div class="lz-built">{escape(t("studio.built", index=str(index), **counts))}</div>'
        self.links.outputs = ()
        self.links.append_display_data(HTML(output_links(report)))
        return report


def output_links(report: BuildReport) -> str:
    """Links to the build's index and every output, relative to the notebook's folder.

    Each path is percent-encoded, so that no folder name can make a link of another scheme
    (an output folder named ``javascript:...``).
    """
    targets = [("index.html", report.out / "index.html")]
    targets += [(rel, report.out / rel) for result in report.results for rel in result.outputs.values()]
    return " · ".join(
        f'<a href="{escape(quote(os.path.relpath(path, Path.cwd())))}" target="_blank">{escape(name)}</a>'
        for name, path in targets
    )
