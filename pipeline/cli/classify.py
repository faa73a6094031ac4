"""``yuqing train | classify | evaluate`` — the classifiers' commands (registered in pipeline/cli.py).

* ``train [--data PATH ...] [--cv group|random|none] [--json]`` — train both heads on labelled
  JSONL (default ``data/corpus``), print cross-validated metrics, save into the data dir.
* ``classify [FILE.jsonl|-] [--explain]`` — add ``topics`` and ``sentiment`` (and with
  ``--explain`` an ``explanation``) to every record; records are any JSON objects with ``content``
  (or ``text``) and optional ``title``. A line that cannot be classified (invalid JSON, no text) is
  reported on stderr with its line number and reason and left out of the output.
* ``evaluate --data FILE.jsonl [--json]`` — score the saved model on labelled records.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from yuqing.pipeline.cli.common import emit_json, get_context

# pipeline.cli imports this module to register the commands: import from it inside functions only
err_console = Console(stderr=True)
BATCH = 1000


@click.command()
@click.option("--data", "data", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="标注数据：JSON Lines 文件或目录（可重复）[data/corpus]")
@click.option("--cv", type=click.Choice(["group", "random", "none"]), default="group", show_default=True,
              help="交叉验证：group 按“撰写者×文体”整组留出，random 随机打乱后 5 折，none 不做")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出模型卡")
@click.pass_context
def train(click_ctx, data: tuple[Path, ...], cv: str, as_json: bool) -> None:
    """训练话题与情感模型，输出交叉验证指标，并把模型保存到数据目录"""
    from yuqing.classifiers.corpus import CorpusError
    from yuqing.classifiers.evaluate import format_report
    from yuqing.classifiers.store import model_dir, save_model
    from yuqing.classifiers.store import train as train_model
    from yuqing.pipeline.core.taxonomy import load_taxonomy

    ctx = get_context(click_ctx)
    taxonomy = load_taxonomy(ctx)
    try:
        model = train_model(list(data) or None, cv=cv, taxonomy=taxonomy,
                            log_fn=lambda m: err_console.print(f"[dim]{m}[/]"))
    except (CorpusError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    model.card["trained_by"] = "yuqing train"
    model.card["training_paths"] = [str(p) for p in data] or ["data/corpus"]
    directory = model_dir(ctx)
    save_model(model, directory)
    card = model.card
    if as_json:
        emit_json(card)
        return
    click.echo(f"模型已保存 saved to {directory} (data version {card['data_version']}, "
               f"{card['n_train']} posts, {card['train_seconds']} s)")
    if "cv" in card:
        click.echo(f"交叉验证 cross-validation: {card['cv']['method']}")
        click.echo(format_report(card["cv"], taxonomy.names()))


def _iter_batches(stream, size: int):
    batch: list[tuple[int, str]] = []
    for number, raw in enumerate(stream, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                err_console.print(f"line {number}: rejected: not UTF-8 (byte {exc.start})")
                continue
        if not raw.strip():
            continue
        batch.append((number, raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def record_text(obj: object) -> str:
    """The text to classify of one input record; ``ValueError`` with the reason if there is none."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    title = obj.get("title") or ""
    content = obj.get("content", obj.get("text"))
    if content is None:
        content = ""
    if not isinstance(title, str) or not isinstance(content, str):
        raise ValueError("title and content must be strings")
    text = f"{title}\n{content}" if title else content
    if not text.strip():
        raise ValueError("no text: title and content are empty")
    return text


@click.command()
@click.argument("file", required=False, default="-", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--explain", is_flag=True, help="附上决定各标签的关键词")
@click.pass_context
def classify(click_ctx, file: str, explain: bool) -> None:
    """为 FILE 中每条记录标注话题与情感，写到标准输出

    FILE 为 JSON Lines 文件，- 或省略表示标准输入。每条记录须有 content（或 text），title 可选。
    无法分类的行（JSON 无效、没有文本）在标准错误输出中给出行号与原因，不写入结果。
    """
    from yuqing.classifiers.store import ModelError, get_model

    ctx = get_context(click_ctx)
    if file != "-" and not Path(file).exists():
        raise click.BadParameter(f"{file}: no such file", param_hint="FILE")
    try:
        model = get_model(ctx)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc
    max_chars = model.topics[0].max_chars
    stream = sys.stdin.buffer if file == "-" else open(file, "rb")
    done = rejected = 0
    out = sys.stdout
    try:
        for batch in _iter_batches(stream, BATCH):
            objs, texts = [], []
            for number, raw in batch:
                try:
                    obj = json.loads(raw)
                    texts.append(record_text(obj))
                    objs.append(obj)
                except json.JSONDecodeError as exc:
                    rejected += 1
                    err_console.print(f"line {number}: rejected: invalid JSON at column {exc.colno}: {exc.msg}")
                except ValueError as exc:
                    rejected += 1
                    err_console.print(f"line {number}: rejected: {exc}")
            for obj, text, pred in zip(objs, texts, model.predict(texts), strict=True):
                obj["topics"] = pred.topics
                obj["sentiment"] = {"label": pred.sentiment, "scores": pred.scores}
                notes = [pred.note] if pred.note else []
                if len(text) > max_chars:
                    notes.append(f"classified on the first {max_chars} of {len(text)} characters")
                if notes:
                    obj["classify_note"] = "; ".join(notes)
                if explain:
                    obj["explanation"] = model.explain(text)
                out.write(json.dumps(obj, ensure_ascii=False) + "\n")
                done += 1
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if rejected:
        err_console.print(f"classified {done}, rejected {rejected} (see the lines above)")


@click.command()
@click.option("--data", "data", multiple=True, required=True, type=click.Path(exists=True, path_type=Path),
              help="标注数据（JSON Lines，每条有 content，可选 title，以及 topics 和/或 sentiment；可重复）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出指标")
@click.pass_context
def evaluate(click_ctx, data: tuple[Path, ...], as_json: bool) -> None:
    """用标注数据评估已保存的模型：各标签 P/R/F1、micro/macro-F1 与情感指标"""
    from yuqing.classifiers.corpus import CorpusError, corpus_files, read_labelled
    from yuqing.classifiers.evaluate import format_report, score
    from yuqing.classifiers.store import ModelError, get_model
    from yuqing.pipeline.core.taxonomy import UnknownTopicError, load_taxonomy

    ctx = get_context(click_ctx)
    taxonomy = load_taxonomy(ctx)
    try:
        examples, problems = read_labelled(list(data), taxonomy, require_labels=False, strict=False)
    except (CorpusError, UnknownTopicError) as exc:
        raise click.ClickException(str(exc)) from exc
    for p in problems[:20]:
        err_console.print(f"[yellow]skipped {p}[/]")
    if len(problems) > 20:
        err_console.print(f"[yellow]… and {len(problems) - 20} more skipped[/]")
    if not examples:
        raise click.ClickException(f"no usable labelled records in {', '.join(map(str, data))}")
    try:
        model = get_model(ctx)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc
    preds = model.predict([e.text for e in examples])
    report = score(examples, preds, model.topic_labels)
    report["skipped"] = len(problems)
    report["model"] = {k: model.card.get(k) for k in ("data_version", "trained_at", "n_train")}
    trained_on = set(model.card.get("training_files") or [])
    overlap = sorted({f.name for f in corpus_files(list(data))} & trained_on)
    report["in_sample_files"] = overlap
    if overlap:
        err_console.print(f"[yellow]注意 warning: the model was trained on {', '.join(overlap)}: these scores are "
                          "in-sample, not an estimate for new posts (see `yuqing train` for cross-validation)[/]")
    if as_json:
        emit_json(report)
        return
    click.echo(f"评估 evaluated {len(examples)} records ({len(problems)} skipped) with model "
               f"{report['model']['data_version']}")
    click.echo(format_report(report, taxonomy.names()))


commands = [train, classify, evaluate]


