// The supervisors' reports: the summary's figures, three bar charts drawn here as inline SVG
// (nothing is loaded from elsewhere), and the same tickets (period, department, tier) as a CSV download.
import { $, api, errorText, h, hide, show, t } from "../core.js";

const form = $("#report-filters");
const SVG = "http://www.w3.org/2000/svg";
let generation = 0;

function svg(tag, attrs, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** Horizontal bars: [{label, value, text, kind}], scaled to the largest value. */
export function barChart(title, bars) {
  const width = 640, row = 28, left = 250, right = 90;
  const height = bars.length * row + 8;
  const largest = Math.max(1, ...bars.map((bar) => bar.value || 0));
  const chart = svg("svg", { class: "report-chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  chart.append(svg("title", {}, title));
  bars.forEach((bar, index) => {
    const y = 4 + index * row;
    const length = Math.round(((bar.value || 0) / largest) * (width - left - right));
    chart.append(
      svg("text", { x: left - 8, y: y + 17, "text-anchor": "end" }, bar.label),
      svg("rect", { x: left, y: y + 4, width: Math.max(length, bar.value ? 2 : 0), height: row - 10, rx: 3,
                    class: "bar-" + (bar.kind || "open"), "data-value": bar.value ?? "" }),
      svg("text", { x: left + length + 6, y: y + 17 }, bar.text));
  });
  return chart;
}

/** Seconds for a person: minutes under an hour, hours under two days, then days. */
function duration(seconds) {
  if (seconds === null || seconds === undefined) return t("reports.none");
  if (seconds < 3600) return Math.round(seconds / 60) + " min";
  if (seconds < 172800) return Math.round(seconds / 360) / 10 + " h";
  return Math.round(seconds / 8640) / 10 + " d";
}
const percent = (share) => (share === null || share === undefined ? t("reports.none") : Math.round(share * 1000) / 10 + " %");

function query() {
  const params = new URLSearchParams();
  for (const element of form.elements) {
    const value = element.name ? element.value.trim() : "";
    if (value) params.set(element.name, value);
  }
  return params;
}

function figure(id, label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", { id }, value));
}

function render(report) {
  $("#report-figures").replaceChildren(
    figure("fig-created", t("reports.created"), report.created),
    figure("fig-resolved", t("reports.resolved"), report.resolved),
    figure("fig-first-response", t("reports.first_response") + " (" + t("reports.median") + ")",
      duration(report.first_response_s.median)),
    figure("fig-resolution", t("reports.resolution") + " (" + t("reports.median") + ")",
      duration(report.resolution_s.median)),
    figure("fig-sla", t("reports.sla_attainment"), percent(report.sla_attainment)),
    figure("fig-satisfaction", t("reports.satisfaction"), percent(report.satisfaction.score)));
  const times = [];
  for (const [key, name] of [["first_response_s", "sla.first_response"], ["resolution_s", "sla.resolution"]]) {
    for (const [part, label, kind] of [["median", "reports.median", "open"], ["p90", "reports.p90", "p90"]]) {
      const value = report[key][part];
      times.push({ label: t(name) + " · " + t(label), value, text: duration(value), kind });
    }
  }
  $("#chart-times").replaceChildren(barChart(t("reports.times_chart"), times));
  const { good, bad } = report.satisfaction;
  $("#chart-satisfaction").replaceChildren(barChart(t("reports.satisfaction"), [
    { label: t("satisfaction.good"), value: good, text: String(good), kind: "good" },
    { label: t("satisfaction.bad"), value: bad, text: String(bad), kind: "bad" }]));
  const backlog = report.backlog;
  $("#chart-backlog").replaceChildren(barChart(
    t("reports.backlog") + ": " + t("reports.open") + " " + backlog.open + ", " + t("reports.awaiting_user") + " " + backlog.awaiting_user,
    backlog.by_age.map((bucket) => ({ label: bucket.age, value: bucket.count, text: String(bucket.count) }))));
  show($("#report"));
}

async function load() {
  const mine = ++generation;
  hide($("#report-error"));
  const params = query();
  $("#report-csv").href = "/api/v1/agent/reports/tickets.csv" + (params.toString() ? "?" + params : "");
  try {
    const report = await api("GET", "/api/v1/agent/reports/summary?" + params);
    if (mine === generation) render(report);
  } catch (failure) {
    if (mine === generation) show($("#report-error"), errorText(failure));
  }
}

form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
load();
