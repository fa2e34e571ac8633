// The 在浏览器中验证 button of a draw page: fetch the transcript from this site (or read a file
// the visitor chooses), recompute it with verifier.js and show 通过 or 未通过 with the first
// difference. The page's published values come from its data-published attribute.
import { verifyTranscript } from "./verifier.js";

const CHECKS = {
  commit_digest: "承诺摘要",
  populations: "各层名单（人数、摘要、抽取数量）",
  candidates: "检查人员名单摘要",
  server_seed: "服务器随机数与承诺值相符",
  key: "密钥串",
  selection: "每一个抽中对象",
  batch_order: "批次顺序",
  assignments: "检查组与未能匹配的对象",
  replacements: "人员替换",
  published: "与本页公布的摘要、承诺值、公开随机数和服务器随机数比对",
};

const section = document.getElementById("verify");
const button = document.getElementById("verify-button");
const file = document.getElementById("verify-file");
const out = document.getElementById("verify-result");
const published = JSON.parse(section.dataset.published);

// Which check a problem belongs to, by the transcript field it names.
function groupOf(problem) {
  const field = problem.split(/[ :.[(]/)[0];
  if (["strata", "populations", "commit"].includes(field)) return "populations";
  if (["unmatched", "ineligible", "previous_inspectors"].includes(field)) return "assignments";
  return field;
}

function show(result, source) {
  out.replaceChildren();
  const verdict = document.createElement("p");
  verdict.className = result.ok ? "verdict pass" : "verdict fail";
  verdict.id = "verdict";
  verdict.textContent = result.ok ? "通过" : "未通过";
  out.append(verdict);
  const what = document.createElement("p");
  what.textContent = `验证对象：${source}。`;
  out.append(what);
  if (!result.ok) {
    const first = document.createElement("p");
    first.id = "first-difference";
    first.textContent = `第一处不一致：${result.problems[0]}`;
    out.append(first);
  }
  const list = document.createElement("ul");
  for (const name of result.checks) {
    const bad = result.problems.some((p) => groupOf(p) === name);
    const li = document.createElement("li");
    li.textContent = `${CHECKS[name] || name}：${bad ? "不一致" : "一致"}`;
    list.append(li);
  }
  out.append(list);
  if (result.problems.length > 1) {
    const h = document.createElement("p");
    h.textContent = "全部不一致之处：";
    out.append(h);
    const all = document.createElement("ol");
    all.id = "differences";
    for (const p of result.problems) {
      const li = document.createElement("li");
      li.textContent = p;
      all.append(li);
    }
    out.append(all);
  }
}

function busy(text) {
  out.replaceChildren();
  const p = document.createElement("p");
  p.textContent = text;
  out.append(p);
}

async function run(bytes, source) {
  busy("正在计算……");
  try {
    show(await verifyTranscript(bytes, published), source);
  } catch (err) {
    show({ ok: false, problems: [`无法验证：${err.message}`], checks: [] }, source);
  }
}

if (!window.crypto || !crypto.subtle) {
  busy("此浏览器不提供 WebCrypto（需要 HTTPS 连接），无法在浏览器中验证。");
} else {
  button.disabled = false;
  file.disabled = false;
  button.addEventListener("click", async () => {
    busy("正在下载文稿……");
    const response = await fetch(section.dataset.transcript, { cache: "no-cache" });
    if (!response.ok) {
      busy(`下载文稿失败（HTTP ${response.status}）。`);
      return;
    }
    await run(new Uint8Array(await response.arrayBuffer()), "本站提供的文稿");
  });
  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    if (chosen) await run(new Uint8Array(await chosen.arrayBuffer()), `您选择的文件 ${chosen.name}`);
  });
}
document.querySelectorAll(".nojs").forEach((e) => e.remove());
