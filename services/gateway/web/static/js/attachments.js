// The attachment picker: choose files or drop them, see previews, and learn about the
// limits (type, size, count) before anything is uploaded. The limits are the tickets
// service's own, put on the drop zone by the page; the server checks again, by content.
import { $, formatSize, h, t } from "./core.js";

const IMAGE_TYPES = new Set(["image/png", "image/jpeg"]);

function extensionOf(name) {
  const dot = name.lastIndexOf(".");
  return dot >= 0 ? name.slice(dot).toLowerCase() : "";
}

export function attachmentPicker(prefix) {
  const limits = JSON.parse($(`[data-dropzone="${prefix}"]`).dataset.limits || "null");
  const input = $(`[data-dropzone="${prefix}"] input[type=file]`);
  const target = $(`#${prefix}-drop`);
  const list = $(`#${prefix}-previews`);
  const error = $(`#${prefix}-file-error`);
  let chosen = [];   // [{file, url}]

  function problem(file) {
    const accepted = !limits || limits.types.includes(file.type) || limits.extensions.includes(extensionOf(file.name));
    if (!accepted) return t("attach.wrong_type", { name: file.name });
    if (file.size === 0) return t("attach.empty", { name: file.name });
    if (limits && file.size > limits.max_bytes) {
      return t("attach.too_large", { name: file.name, size: formatSize(file.size), max_mb: limits.max_mb });
    }
    return null;
  }

  function render() {
    list.replaceChildren(...chosen.map((entry, index) => {
      const { file, url } = entry;
      const preview = url
        ? h("img", { src: url, alt: t("attach.preview_of", { name: file.name }), class: "thumb" })
        : h("span", { class: "file-icon", "aria-hidden": "true" }, (extensionOf(file.name).slice(1) || "\u2022").toUpperCase());
      const remove = h("button", { type: "button", class: "icon-button remove", "aria-label": t("attach.remove", { name: file.name }) }, "\u00D7");
      remove.addEventListener("click", () => {
        if (entry.url) URL.revokeObjectURL(entry.url);
        chosen.splice(index, 1);
        render();
        input.focus();
      });
      return h("li", { class: "preview" }, preview,
        h("span", { class: "file-name" }, file.name), h("span", { class: "hint" }, formatSize(file.size)), remove);
    }));
  }

  function add(files) {
    const problems = [];
    for (const file of files) {
      if (limits && chosen.length >= limits.max_files) {
        problems.push(t("attach.too_many", { max: limits.max_files }));
        break;
      }
      const reason = problem(file);
      if (reason) { problems.push(reason); continue; }
      chosen.push({ file, url: IMAGE_TYPES.has(file.type) ? URL.createObjectURL(file) : null });
    }
    error.textContent = problems.join(" ");
    error.hidden = problems.length === 0;
    render();
  }

  input.addEventListener("change", () => {
    add([...input.files]);
    input.value = "";   // choosing the same file again after removing it works
  });
  for (const name of ["dragenter", "dragover"]) {
    target.addEventListener(name, (event) => {
      event.preventDefault();
      target.classList.add("dragging");
    });
  }
  target.addEventListener("dragleave", () => target.classList.remove("dragging"));
  target.addEventListener("drop", (event) => {
    event.preventDefault();
    target.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files) add([...event.dataTransfer.files]);
  });

  return {
    files: () => chosen.map((entry) => entry.file),
    appendTo(form) { chosen.forEach((entry) => form.append("files", entry.file, entry.file.name)); },
    clear() {
      chosen.forEach((entry) => entry.url && URL.revokeObjectURL(entry.url));
      chosen = [];
      error.hidden = true;
      render();
    },
  };
}
