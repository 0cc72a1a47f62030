// One help-center article, in the reader's language where it is written.
import { $, api, errorText, lang, page, show, t } from "../core.js";

async function load() {
  try {
    const article = await api("GET", `/api/v1/help/articles/${encodeURIComponent(page.slug)}?locale=${encodeURIComponent(lang)}`);
    $("#article-title").textContent = article.title;
    document.title = `${article.title} · ${t("app.name")}`;
    // The help center stores sanitised HTML (the tickets service cleans it with nh3 on save).
    $("#article-body").innerHTML = article.body;
    $("#article-language").hidden = article.locale === lang;
  } catch (failure) {
    show($("#article-error"), errorText(failure));
  }
}

load();
