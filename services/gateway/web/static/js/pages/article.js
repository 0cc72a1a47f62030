// One help-center article (rendered with the page): "was this helpful?" sends the reader's vote.
import { $, api, errorText, lang, page, t } from "../core.js";

async function vote(event) {
  const button = event.target.closest("button[data-helpful]");
  if (!button) return;
  const thanks = $("#vote-thanks");
  const buttons = [...document.querySelectorAll("#article-vote button")];
  buttons.forEach((other) => { other.disabled = true; });
  try {
    await api("POST", `/api/v1/help/articles/${encodeURIComponent(page.slug)}/votes`,
      { json: { helpful: button.dataset.helpful === "true", locale: lang } });
    buttons.forEach((other) => other.setAttribute("aria-pressed", String(other === button)));
    thanks.textContent = t(button.dataset.helpful === "true" ? "help.helpful_thanks" : "help.unhelpful_thanks");
  } catch (failure) {
    thanks.textContent = errorText(failure);
  } finally {
    buttons.forEach((other) => { other.disabled = false; });
  }
}

$("#article-vote").addEventListener("click", vote);
