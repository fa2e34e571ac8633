// 核对包含证明 on the 透明日志 page: fetch the latest checkpoint and the inclusion proof of a
// ledger position from this site's public GraphQL endpoint, and check them with verifier.js
// against the log's public key (fetched from /.well-known/spotcheck-log-key unless the visitor
// pasted a pinned one).
import { verifyInclusion } from "./verifier.js";

const STEPS = {
  key: "公钥格式",
  "key id": "密钥标识与检查点相符",
  body: "检查点正文",
  signature: "Ed25519 签名",
  "tree size": "证明针对该检查点",
  "audit path": "审计路径",
  root: "由叶哈希算出的树根与签名的树根相同",
};

const section = document.getElementById("proof");
const form = document.getElementById("proof-form");
const position = document.getElementById("proof-position");
const keyBox = document.getElementById("proof-key");
const button = document.getElementById("proof-button");
const out = document.getElementById("proof-result");

async function graphql(query, variables) {
  const r = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  if (body.errors) throw new Error(body.errors[0].message);
  return body.data;
}

function say(text, cls) {
  out.replaceChildren();
  const p = document.createElement("p");
  p.textContent = text;
  if (cls) {
    p.className = cls;
    p.id = "proof-verdict";
  }
  out.append(p);
  return p;
}

async function check(event) {
  event.preventDefault();
  const pos = Number(position.value);
  if (!Number.isSafeInteger(pos) || pos < 1) {
    say("请输入账本位置（正整数）。");
    return;
  }
  say("正在取得检查点和证明……");
  try {
    const { checkpoint } = await graphql(
      "{ checkpoint { treeSize rootHash signedAt signature keyId body } }", {});
    if (!checkpoint) {
      say("尚无签名检查点。");
      return;
    }
    if (pos > checkpoint.treeSize) {
      say(`第 ${pos} 条记录尚未被签名检查点覆盖（目前覆盖前 ${checkpoint.treeSize} 条），请稍后再试。`);
      return;
    }
    const { inclusionProof } = await graphql(
      "query ($p: SafeInt!, $n: SafeInt!) { inclusionProof(position: $p, treeSize: $n) { leafIndex treeSize leafHash auditPath } }",
      { p: pos, n: checkpoint.treeSize });
    const result = await verifyInclusion({ checkpoint, proof: inclusionProof, publicKeyPem: keyBox.value });
    say(result.ok ? "通过" : "未通过", result.ok ? "verdict pass" : "verdict fail");
    const detail = document.createElement("p");
    detail.textContent = `账本第 ${pos} 条记录，叶哈希 ${inclusionProof.leafHash}，检查点覆盖前 ${checkpoint.treeSize} 条，树根 ${checkpoint.rootHash}。`;
    out.append(detail);
    const list = document.createElement("ul");
    for (const s of result.steps) {
      const li = document.createElement("li");
      li.textContent = `${STEPS[s.name] || s.name}：${s.ok ? "通过" : "未通过"}（${s.detail}）`;
      list.append(li);
    }
    out.append(list);
  } catch (err) {
    say(`无法核对：${err.message}`, "verdict fail");
  }
}

async function start() {
  document.querySelectorAll(".nojs").forEach((e) => e.remove());
  if (!window.crypto || !crypto.subtle) {
    say("此浏览器不提供 WebCrypto（需要 HTTPS 连接），无法在浏览器中核对。");
    return;
  }
  if (!keyBox.value.trim()) {
    const r = await fetch(section.dataset.keyPath);
    if (r.ok) keyBox.value = await r.text();
  }
  button.disabled = false;
  form.addEventListener("submit", check);
  if (position.value && location.hash === "#proof") form.requestSubmit();
}

start();
