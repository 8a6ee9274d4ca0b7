"""群组层次分析: staff run a group AHP survey and save its weights into a library draft.

Create a survey on a library version (optionally naming the Delphi round whose authority
coefficients weigh the members), invite members and watch them answer; aggregate by judgments
(AIJ) or priorities (AIP) with equal, authority or hand-set member weights; read, node by node,
the group's priorities, its CR, the consensus and each member's CR; exclude or keep a member's
matrix with a reason; combine the AHP weights of a node with entropy or CRITIC weights from last
year's actuals (linear or multiplicative); save the global weights into a draft. Everything goes
through the survey store, which checks roles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from indicators.errors import InputError, JixiaoError
from indicators.frontdoor import PageContext, Role
from indicators.model import Status
from indicators.store import list_libraries
from indicators.ui_widgets import flash, pick_version, require_staff, show_flash
from review import store
from review.ahp_survey_judgments import set_exclusion
from review.ahp_survey_results import (
    WEIGHTINGS,
    NodeResult,
    SurveyResult,
    save_weights,
    survey_result,
)
from review.ahp_survey_store import (
    close_survey,
    create_survey,
    invite_members,
    list_surveys,
    member_progress,
)
from review.ahp_survey_tables import AhpSurveyPublic, SurveyStatus
from review.delphi_store import list_rounds
from review.delphi_tables import DelphiRoundStatus
from review.ui_delphi import write_and_flash
from review.ui_shell import format_time, reading, show_error
from scoring.calibrate_io import read_points
from scoring.random_index import random_index_tables
from scoring.ui_shares import demo_county_shares, uploaded
from scoring.weights import combine_weights, critic_weights, entropy_weights

__all__ = ["render_manage"]

_SURVEY = "ahp_survey.manage.survey"


def _new_survey(ctx: PageContext, empty: bool) -> None:
    with st.expander(ctx.t("ahp_survey.manage.new"), expanded=empty, icon=":material/add:"):
        with reading(ctx) as session:
            summaries = [x for x in list_libraries(session) if x.status is not Status.RETIRED]
            rounds = [r for r in list_rounds(session, by=ctx.viewer)
                      if r.status is DelphiRoundStatus.CLOSED]
        if not summaries:
            st.info(ctx.t("ahp_survey.manage.no_library"))
            return
        title = st.text_input(ctx.t("ahp_survey.manage.title"), key="ahp_survey.new.title")
        chosen = pick_version(ctx, summaries, key="ahp_survey.new.library",
                              label="ahp_survey.manage.library")
        left, middle, right = st.columns(3)
        method = left.selectbox(ctx.t("ahp_survey.manage.priority"), ("eigenvector", "geometric"),
                                key="ahp_survey.new.method",
                                format_func=lambda m: ctx.t(f"ahp_survey.priority.{m}"))
        tables = sorted(random_index_tables())
        ri = middle.selectbox(ctx.t("ahp_survey.manage.ri"), tables,
                              index=tables.index("saaty1980"), key="ahp_survey.new.ri")
        labels = {r.round_id: f"{r.label} · {r.library_ref}" for r in rounds}
        delphi = right.selectbox(ctx.t("ahp_survey.manage.delphi"), [None, *labels],
                                 key="ahp_survey.new.delphi",
                                 format_func=lambda r: ctx.t("ahp_survey.none") if r is None
                                 else labels[r])
        if st.button(ctx.t("ahp_survey.manage.create"), type="primary",
                     key="ahp_survey.new.create"):
            made = write_and_flash(ctx, lambda s: create_survey(
                s, title=title, library_ref=chosen.ref, priority_method=method, ri=ri,
                delphi_round_id=delphi, by=ctx.viewer), ctx.t("ahp_survey.manage.created"))
            if made is not None:
                st.session_state[_SURVEY] = made.survey_id
                st.rerun()


def _progress(ctx: PageContext, survey: AhpSurveyPublic) -> pd.DataFrame:
    with reading(ctx) as session:
        progress = member_progress(session, survey_id=survey.survey_id, by=ctx.viewer)
        users = store.list_users(session, by=ctx.viewer)
    if len(progress):
        st.dataframe(pd.DataFrame({
            ctx.t("ahp_survey.col.member"): progress["display_name"],
            ctx.t("ahp_survey.col.status"): [ctx.t(f"ahp_survey.member.{s}")
                                             for s in progress["status"]],
            ctx.t("ahp_survey.col.answered"): [f"{a}/{b}" for a, b in zip(
                progress["answered"], progress["pairs"], strict=True)],
            ctx.t("ahp_survey.col.updated"): [format_time(t) if pd.notna(t) else "—"
                                              for t in progress["updated_at"]]}),
            hide_index=True, key="ahp_survey.manage.progress")
    if survey.status is not SurveyStatus.OPEN:
        return progress
    invited = set(progress["user_id"])
    candidates = {u.user_id: u for u in users if u.role in (Role.EXPERT, Role.DEPUTY)
                  and not u.disabled and u.user_id not in invited}
    chosen = st.multiselect(ctx.t("ahp_survey.manage.invite"), list(candidates),
                            key=f"ahp_survey.invite.{survey.survey_id}",
                            format_func=lambda uid: f"{candidates[uid].display_name}"
                                                    f"（{candidates[uid].username}）")
    left, right = st.columns(2)
    if left.button(ctx.t("ahp_survey.manage.invite_button"), disabled=not chosen,
                   key="ahp_survey.manage.invite_button"):
        if write_and_flash(ctx, lambda s: invite_members(s, survey_id=survey.survey_id, user_ids=chosen,
                                                by=ctx.viewer),
                  ctx.t("ahp_survey.manage.invited", n=len(chosen))) is not None:
            st.rerun()
    if right.button(ctx.t("ahp_survey.manage.close"), key="ahp_survey.manage.close"):
        if write_and_flash(ctx, lambda s: close_survey(s, survey_id=survey.survey_id, by=ctx.viewer),
                  ctx.t("ahp_survey.manage.closed")) is not None:
            st.rerun()
    return progress


def _settings(ctx: PageContext, survey: AhpSurveyPublic,
              progress: pd.DataFrame) -> dict[str, Any]:
    sid = survey.survey_id
    left, right = st.columns(2)
    method = left.radio(ctx.t("ahp_survey.manage.method"), ("AIJ", "AIP"), horizontal=True,
                        key=f"ahp_survey.method.{sid}",
                        format_func=lambda m: ctx.t(f"ahp_survey.method.{m}"))
    weightings = [w for w in WEIGHTINGS if w != "authority" or survey.delphi_round_id]
    weighting = right.radio(ctx.t("ahp_survey.manage.weighting"), weightings, horizontal=True,
                            key=f"ahp_survey.weighting.{sid}",
                            format_func=lambda w: ctx.t(f"ahp_survey.weighting.{w}"))
    manual = None
    if weighting == "manual":
        submitted = progress[progress["status"] == "submitted"]
        columns = st.columns(max(1, min(4, len(submitted))))
        manual = {int(uid): float(columns[k % len(columns)].number_input(
            name, min_value=0.0, value=1.0, step=0.1, key=f"ahp_survey.manual.{sid}.{uid}"))
            for k, (uid, name) in enumerate(zip(submitted["user_id"], submitted["display_name"],
                                                strict=True))}
    return {"method": method, "weighting": weighting, "manual_weights": manual}


def _members_frame(ctx: PageContext, node: NodeResult) -> pd.DataFrame:
    m = node.members
    return pd.DataFrame({
        ctx.t("ahp_survey.col.member"): m["display_name"],
        "CR": m["cr"].round(4),
        ctx.t("ahp_survey.col.pass"): [ctx.t("ahp_survey.yes") if a else ctx.t("ahp_survey.no")
                                       for a in m["acceptable"]],
        ctx.t("ahp_survey.col.missing"): m["n_missing"],
        ctx.t("ahp_survey.col.excluded"): [ctx.t("ahp_survey.yes") if e else "" for e in
                                           m["excluded"]],
        ctx.t("ahp_survey.col.reason"): m["reason"],
        ctx.t("ahp_survey.col.member_weight"): m["weight"].round(4),
        **{name: m[code].round(4) for code, name in zip(node.codes, node.names, strict=True)}})


def _node(ctx: PageContext, survey: AhpSurveyPublic, result: SurveyResult,
          node: NodeResult) -> None:
    title = node.name or ctx.t("ahp_survey.top")
    st.markdown(f"#### {title}")
    cells = st.columns(3)
    cells[0].metric(ctx.t("ahp_survey.manage.group_cr"),
                    "—" if node.group_cr is None else f"{node.group_cr:.4f}")
    cells[1].metric(ctx.t("ahp_survey.manage.consensus"),
                    "—" if np.isnan(node.consensus) else f"{node.consensus:.3f}")
    cells[2].metric("P", "—" if np.isnan(node.consensus_p) else f"{node.consensus_p:.3f}")
    if node.consensus_note:
        st.caption(node.consensus_note)
    local = result.local.reindex(node.codes)
    st.dataframe(pd.DataFrame({
        ctx.t("ahp_survey.col.criterion"): list(node.names),
        ctx.t("ahp_survey.col.group"): node.weights.round(4).to_numpy(),
        ctx.t("ahp_survey.col.local"): local.round(4).to_numpy(),
        ctx.t("ahp_survey.col.global"): result.global_weights.reindex(node.codes).round(2)
        .to_numpy()}), hide_index=True, key=f"ahp_survey.node.{node.key or 'top'}")
    st.dataframe(_members_frame(ctx, node), hide_index=True,
                 key=f"ahp_survey.members.{node.key or 'top'}")
    answered = node.members[node.members["answered"]]
    if answered.empty:
        return
    names = dict(zip(answered["user_id"], answered["display_name"], strict=True))
    left, middle, right = st.columns([2, 3, 2], vertical_alignment="bottom")
    who = left.selectbox(ctx.t("ahp_survey.col.member"), list(names),
                         key=f"ahp_survey.exclude.who.{node.key or 'top'}",
                         format_func=names.__getitem__)
    reason = middle.text_input(ctx.t("ahp_survey.col.reason"),
                               key=f"ahp_survey.exclude.reason.{node.key or 'top'}")
    excluded = bool(node.members.set_index("user_id").loc[who, "excluded"])
    label = "ahp_survey.manage.keep" if excluded else "ahp_survey.manage.exclude"
    if right.button(ctx.t(label), key=f"ahp_survey.exclude.{node.key or 'top'}"):
        if write_and_flash(ctx, lambda s: set_exclusion(
                s, survey_id=survey.survey_id, user_id=int(who), node_key=node.key,
                excluded=not excluded, reason=reason, by=ctx.viewer),
                ctx.t("ahp_survey.manage.recorded")) is not None:
            st.rerun()


def _objective(ctx: PageContext, node: NodeResult) -> pd.DataFrame | None:
    """Last year's achievement of the node's children, one column per child code."""
    sources = [*(["demo"] if ctx.demo_mode else []), "upload"]
    source = st.radio(ctx.t("ahp_survey.combine.source"), sources, horizontal=True,
                      key=f"ahp_survey.combine.source.{node.key or 'top'}",
                      format_func=lambda s: ctx.t(f"ahp_survey.combine.source.{s}"))
    if source == "demo":
        table, _ = demo_county_shares()
    else:
        upload = st.file_uploader(ctx.t("ahp_survey.combine.upload"), type=["xlsx", "csv"],
                                  key=f"ahp_survey.combine.upload.{node.key or 'top'}")
        st.caption(ctx.t("ahp_survey.combine.upload_help"))
        if upload is None:
            return None
        table = uploaded(upload, read_points)
    by_code = {c: c if c in table.columns else n for c, n in zip(node.codes, node.names,
                                                                  strict=True)}
    absent = [n for c, n in zip(node.codes, node.names, strict=True)
              if by_code[c] not in table.columns]
    if absent:
        st.info(ctx.t("ahp_survey.combine.absent", names="、".join(absent)))
        return None
    data = table[[by_code[c] for c in node.codes]].dropna()
    data.columns = list(node.codes)
    if len(data) < 2:
        raise InputError("可用于客观赋权的项目不足 2 个", "fewer than 2 projects to weigh from",
                         field="actuals")
    st.caption(ctx.t("ahp_survey.combine.rows", n=len(data)))
    return data


def _combine(ctx: PageContext, result: SurveyResult) -> None:
    st.caption(ctx.t("ahp_survey.combine.help"))
    nodes = {n.key: n for n in result.nodes if n.complete}
    if not nodes:
        st.info(ctx.t("ahp_survey.combine.no_group"))
        return
    key = st.selectbox(ctx.t("ahp_survey.combine.node"), list(nodes),
                       key="ahp_survey.combine.node",
                       format_func=lambda k: nodes[k].name or ctx.t("ahp_survey.top"))
    node = nodes[key]
    data = _objective(ctx, node)
    if data is None:
        return
    left, middle, right = st.columns(3)
    kind = left.radio(ctx.t("ahp_survey.combine.objective"), ("entropy", "critic"),
                      key="ahp_survey.combine.kind",
                      format_func=lambda k: ctx.t(f"ahp_survey.combine.{k}"))
    how = middle.radio(ctx.t("ahp_survey.combine.how"), ("linear", "multiplicative"),
                       key="ahp_survey.combine.how",
                       format_func=lambda k: ctx.t(f"ahp_survey.combine.{k}"))
    alpha = right.slider(ctx.t("ahp_survey.combine.alpha"), 0.0, 1.0, 0.5, 0.05,
                         key="ahp_survey.combine.alpha", disabled=how != "linear")
    # Achievement shares: higher is better for every heading.
    objective = (entropy_weights(data, benefit=True) if kind == "entropy"
                 else critic_weights(data, benefit=True)).weights
    subjective = node.weights
    combined = combine_weights(subjective, objective, method=how, alpha=alpha).weights
    st.dataframe(pd.DataFrame({
        ctx.t("ahp_survey.col.criterion"): list(node.names),
        "AHP": subjective.round(4).to_numpy(),
        ctx.t(f"ahp_survey.combine.{kind}"): objective.reindex(node.codes).round(4).to_numpy(),
        ctx.t("ahp_survey.combine.combined"): combined.reindex(node.codes).round(4).to_numpy()}),
        hide_index=True, key="ahp_survey.combine.table")
    overrides = st.session_state.setdefault(f"ahp_survey.overrides.{result.survey_id}", {})
    words = (f"{node.name or '一级'}：AHP×{ctx.t(f'ahp_survey.combine.{kind}')}，"
             f"{ctx.t(f'ahp_survey.combine.{how}')}"
             + (f"，α={alpha:g}" if how == "linear" else ""))
    if st.button(ctx.t("ahp_survey.combine.use"), key="ahp_survey.combine.use"):
        overrides[key] = {"weights": combined.reindex(node.codes).to_dict(), "note": words}
        flash(ctx.t("ahp_survey.combine.used", name=node.name or ctx.t("ahp_survey.top")))
        st.rerun()
    if key in overrides and st.button(ctx.t("ahp_survey.combine.drop"),
                                      key="ahp_survey.combine.drop"):
        overrides.pop(key)
        st.rerun()


def _save(ctx: PageContext, survey: AhpSurveyPublic, result: SurveyResult,
          settings: dict[str, Any], overrides: dict[str, Any]) -> None:
    table = pd.DataFrame([{"code": i["code"], "name": i["name"], "level": i["level"]}
                          for i in survey.indicators])
    st.dataframe(pd.DataFrame({
        ctx.t("ahp_survey.col.code"): table["code"],
        ctx.t("ahp_survey.col.criterion"): table["name"],
        ctx.t("ahp_survey.col.local"): result.local.reindex(table["code"]).round(4).to_numpy(),
        ctx.t("ahp_survey.col.global"): result.global_weights.reindex(table["code"]).round(2)
        .to_numpy()}), hide_index=True, key="ahp_survey.global")
    if survey.saved_ref:
        st.success(ctx.t("ahp_survey.manage.saved_before", ref=survey.saved_ref))
    if not result.complete:
        st.info(ctx.t("ahp_survey.manage.incomplete"))
        return
    note = "；".join(v["note"] for v in overrides.values())
    if note:
        st.caption(ctx.t("ahp_survey.manage.replaced", note=note))
    new_version = st.text_input(ctx.t("ahp_survey.manage.new_version"), "",
                                key=f"ahp_survey.version.{survey.survey_id}",
                                placeholder=ctx.t("ahp_survey.manage.version_hint"))
    if st.button(ctx.t("ahp_survey.manage.save"), type="primary", key="ahp_survey.manage.save"):
        draft = write_and_flash(ctx, lambda s: save_weights(
            s, survey_id=survey.survey_id, overrides={k: v["weights"] for k, v
                                                      in overrides.items()},
            note=note, new_version=new_version.strip() or None, by=ctx.viewer, **settings),
            ctx.t("ahp_survey.manage.saving"))
        if draft is not None:
            flash(ctx.t("ahp_survey.manage.saved", ref=draft.ref))
            st.rerun()


def render_manage(ctx: PageContext) -> None:
    """Draw 群组层次分析: surveys, members, aggregation, exclusions, combination, saving.

    Parameters
    ----------
    ctx
        The signed-in staff member and the engine.

    Returns
    -------
    None

    Notes
    -----
    Aggregation is :func:`review.ahp_survey_results.survey_result` (AIJ/AIP, Forman &
    Peniwati 1998); objective weights are :func:`scoring.weights.entropy_weights` or
    :func:`scoring.weights.critic_weights` on achievement shares, combined by
    :func:`scoring.weights.combine_weights`.

    Examples
    --------
    >>> callable(render_manage)
    True
    """
    st.title(ctx.t("ahp_survey.page.manage"))
    if not require_staff(ctx):
        return
    show_flash()
    try:
        with reading(ctx) as session:
            surveys = list_surveys(session, by=ctx.viewer)
        _new_survey(ctx, not surveys)
        if not surveys:
            return
        by_id = {s.survey_id: s for s in surveys}
        if st.session_state.get(_SURVEY) not in by_id:
            st.session_state[_SURVEY] = surveys[0].survey_id
        survey = by_id[st.selectbox(
            ctx.t("ahp_survey.manage.pick"), list(by_id), key=_SURVEY,
            format_func=lambda sid: f"{by_id[sid].title} · {by_id[sid].library_ref}"
                                    f"（{ctx.t('ahp_survey.status.' + by_id[sid].status.value)}）")]
        progress_tab, group_tab, combine_tab, save_tab = st.tabs([
            ctx.t("ahp_survey.tab.progress"), ctx.t("ahp_survey.tab.group"),
            ctx.t("ahp_survey.tab.combine"), ctx.t("ahp_survey.tab.save")])
        with progress_tab:
            progress = _progress(ctx, survey)
        if not (progress["status"] == "submitted").any():
            with group_tab:
                st.info(ctx.t("ahp_survey.manage.no_answers"))
            return
        with group_tab:
            settings = _settings(ctx, survey, progress)
        overrides = st.session_state.setdefault(f"ahp_survey.overrides.{survey.survey_id}", {})
        with reading(ctx) as session:
            plain = survey_result(session, survey_id=survey.survey_id, by=ctx.viewer, **settings)
            result = survey_result(session, survey_id=survey.survey_id, by=ctx.viewer,
                                   overrides={k: v["weights"] for k, v in overrides.items()},
                                   **settings) if overrides else plain
        with group_tab:
            for node in result.nodes:
                _node(ctx, survey, result, node)
        with combine_tab:
            _combine(ctx, plain)
        with save_tab:
            _save(ctx, survey, result, settings, overrides)
    except JixiaoError as err:
        show_error(ctx, err)
