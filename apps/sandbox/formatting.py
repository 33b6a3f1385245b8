"""Telegram's text formatting as the fake Bot API applies it: parse_mode in, text and entities out.

A simplified but faithful copy of what the Bot API does with `parse_mode` (MarkdownV2, HTML and
the legacy Markdown): the same reserved characters, the same error descriptions (byte offsets
into the text as sent, as Telegram counts them) and entity offsets in UTF-16 code units.
Not covered: custom emoji in MarkdownV2 (`![..](tg://emoji..)`), expandable block quotes in
MarkdownV2 and the automatic detection of URLs, mentions and hashtags.

`render_html` turns a message's plain text and entities back into safe HTML for the chat page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import urlsplit

from django.utils.html import escape

PARSE_MODES = ("MarkdownV2", "HTML", "Markdown")
MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")


class EntityParseError(ValueError):
    """The text does not parse in its parse_mode; str() is Telegram's description (no prefix)."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


@dataclass
class _Open:
    type: str
    start: int  # UTF-16 offset in the output
    byte_offset: int  # where it opened in the source, for error messages
    extra: dict


class _Output:
    """The plain text being built, with its length in UTF-16 code units."""

    def __init__(self):
        self.parts: list[str] = []
        self.utf16 = 0
        self.entities: list[dict] = []
        self._order = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.utf16 += utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)

    def entity(self, kind: str, start: int, **extra) -> None:
        length = self.utf16 - start
        if length > 0:
            self._order += 1
            self.entities.append(
                {"offset": start, "length": length, "type": kind, **extra, "_order": self._order}
            )

    def result(self) -> tuple[str, list[dict]]:
        ordered = sorted(self.entities, key=lambda e: (e["offset"], -e["length"], e["_order"]))
        for entity in ordered:
            del entity["_order"]
        return self.text(), ordered


# ---------------------------------------------------------------------------------------------
# MarkdownV2


_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def _normalise_link_url(url: str) -> str | None:
    """The URL of an inline link as Telegram keeps it, or None when Telegram would drop the link."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme.lower() in ("http", "https", "ftp", "tg", "ton"):
            return url
        return None
    host = url.split("/", 1)[0]
    if "." not in host or not re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?", host):
        return None
    return "http://" + url + ("" if "/" in url else "/")


def parse_markdown_v2(source: str) -> tuple[str, list[dict]]:
    out = _Output()
    stack: list[_Open] = []
    quote: _Open | None = None
    i = 0
    n = len(source)

    def fail(message: str):
        raise EntityParseError(message)

    def reserved(ch: str):
        fail(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")

    def unclosed(entity: _Open):
        name = _V2_NAMES.get(entity.type, entity.type)
        fail(f"Can't find end of {name} entity at byte offset {entity.byte_offset}")

    while i < n:
        ch = source[i]
        at_line_start = i == 0 or source[i - 1] in "\n\r"
        if at_line_start and quote is not None and ch != ">" and source[i - 1] == "\n":
            out.entity("blockquote", quote.start)
            quote = None
        if at_line_start and ch == ">":
            if quote is None:
                quote = _Open("blockquote", out.utf16, _byte_offset(source, i), {})
            i += 1
            continue
        if ch == "\\":
            if i + 1 < n and 1 <= ord(source[i + 1]) <= 126:
                out.add(source[i + 1])
                i += 2
            else:
                out.add(ch)
                i += 1
            continue
        if source.startswith("```", i):
            i = _v2_pre(source, i, out)
            continue
        if ch == "`":
            i = _v2_code(source, i, out)
            continue
        top = stack[-1].type if stack else None
        if ch == "_":
            below = stack[-2].type if len(stack) > 1 else None
            following = source[i + 1] if i + 1 < n else ""
            if top == "italic" and (following != "_" or below == "underline"):
                entity = stack.pop()
                out.entity("italic", entity.start)
                i += 1
            elif top == "underline" and following == "_":
                entity = stack.pop()
                out.entity("underline", entity.start)
                i += 2
            elif following == "_":
                stack.append(_Open("underline", out.utf16, _byte_offset(source, i), {}))
                i += 2
            else:
                stack.append(_Open("italic", out.utf16, _byte_offset(source, i), {}))
                i += 1
            continue
        if ch in "*~" or source.startswith("||", i):
            kind = {"*": "bold", "~": "strikethrough", "|": "spoiler"}[ch]
            width = 2 if ch == "|" else 1
            if top == kind:
                entity = stack.pop()
                out.entity(kind, entity.start)
            else:
                stack.append(_Open(kind, out.utf16, _byte_offset(source, i), {}))
            i += width
            continue
        if ch == "[":
            stack.append(_Open("text_link", out.utf16, _byte_offset(source, i), {"text_from": i}))
            i += 1
            continue
        if ch == "]" and top == "text_link":
            entity = stack.pop()
            link_text = source[entity.extra["text_from"] + 1 : i]
            i += 1
            if i < n and source[i] == "(":
                url_start = i + 1
                url_chars = []
                j = url_start
                while j < n and source[j] != ")":
                    if source[j] == "\\" and j + 1 < n:
                        url_chars.append(source[j + 1])
                        j += 2
                        continue
                    url_chars.append(source[j])
                    j += 1
                if j >= n:
                    fail(
                        f"Can't find end of a URL at byte offset {_byte_offset(source, url_start)}"
                    )
                url = _normalise_link_url("".join(url_chars))
                i = j + 1
            else:
                url = _normalise_link_url(link_text.replace("\\", ""))
            if url:
                out.entity("text_link", entity.start, url=url)
            continue
        if ch in MARKDOWN_V2_RESERVED:
            reserved(ch)
        out.add(ch)
        i += 1

    if stack:
        unclosed(stack[-1])
    if quote is not None:
        out.entity("blockquote", quote.start)
    return out.result()


def _v2_code(source: str, i: int, out: _Output) -> int:
    start_byte = _byte_offset(source, i)
    j = i + 1
    chars = []
    while j < len(source):
        if source[j] == "\\" and j + 1 < len(source) and source[j + 1] in "`\\":
            chars.append(source[j + 1])
            j += 2
            continue
        if source[j] == "`":
            start = out.utf16
            out.add("".join(chars))
            out.entity("code", start)
            return j + 1
        chars.append(source[j])
        j += 1
    raise EntityParseError(f"Can't find end of Code entity at byte offset {start_byte}")


def _v2_pre(source: str, i: int, out: _Output) -> int:
    start_byte = _byte_offset(source, i)
    j = i + 3
    chars = []
    while j < len(source):
        if source[j] == "\\" and j + 1 < len(source) and source[j + 1] in "`\\":
            chars.append(source[j + 1])
            j += 2
            continue
        if source.startswith("```", j):
            body = "".join(chars)
            language = ""
            first_line, newline, rest = body.partition("\n")
            if newline and first_line and not any(c.isspace() for c in first_line):
                language, body = first_line, rest
            start = out.utf16
            out.add(body)
            if language:
                out.entity("pre", start, language=language)
            else:
                out.entity("pre", start)
            return j + 3
        chars.append(source[j])
        j += 1
    raise EntityParseError(f"Can't find end of Pre entity at byte offset {start_byte}")


# ---------------------------------------------------------------------------------------------
# Legacy Markdown


def parse_markdown(source: str) -> tuple[str, list[dict]]:
    out = _Output()
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.add(ch)
            i += 1
            continue
        start_byte = _byte_offset(source, i)

        def unclosed(start_byte=start_byte):
            return EntityParseError(
                f"Can't find end of the entity starting at byte offset {start_byte}"
            )

        if source.startswith("```", i):
            end = source.find("```", i + 3)
            if end < 0:
                raise unclosed()
            body = source[i + 3 : end]
            first_line, newline, rest = body.partition("\n")
            start = out.utf16
            if newline and first_line and " " not in first_line:
                out.add(rest)
                out.entity("pre", start, language=first_line)
            else:
                out.add(body)
                out.entity("pre", start)
            i = end + 3
            continue
        if ch == "[":
            close = source.find("]", i + 1)
            if close < 0 or not source.startswith("(", close + 1):
                raise unclosed()
            url_end = source.find(")", close + 2)
            if url_end < 0:
                raise unclosed()
            start = out.utf16
            out.add(source[i + 1 : close])
            url = _normalise_link_url(source[close + 2 : url_end])
            if url:
                out.entity("text_link", start, url=url)
            i = url_end + 1
            continue
        end = source.find(ch, i + 1)
        if end < 0:
            raise unclosed()
        start = out.utf16
        out.add(source[i + 1 : end])
        out.entity({"_": "italic", "*": "bold", "`": "code"}[ch], start)
        i = end + 1
    return out.result()


# ---------------------------------------------------------------------------------------------
# HTML

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTRIBUTE = re.compile(r"""\s*([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _decode_html_entities(text: str) -> str:
    def decode(match):
        name = match.group(1)
        if name in _NAMED:
            return _NAMED[name]
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        return chr(code) if 0 < code <= 0x10FFFF else match.group(0)

    return _HTML_ENTITY.sub(decode, text)


def _html_attributes(text: str) -> dict[str, str]:
    attributes = {}
    for match in _ATTRIBUTE.finditer(text):
        if match.group(1):
            value = next((g for g in match.groups()[1:] if g is not None), "")
            attributes[match.group(1).lower()] = _decode_html_entities(value)
    return attributes


def parse_html(source: str) -> tuple[str, list[dict]]:
    out = _Output()
    stack: list[_Open] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            match = _HTML_ENTITY.match(source, i)
            if match:
                out.add(_decode_html_entities(match.group(0)))
                i = match.end()
                continue
            out.add(ch)
            i += 1
            continue
        if ch != "<":
            out.add(ch)
            i += 1
            continue
        byte_offset = _byte_offset(source, i)
        close = source.find(">", i)
        if source.startswith("</", i):
            if close < 0:
                raise EntityParseError(f"Unclosed end tag at byte offset {byte_offset}")
            name = source[i + 2 : close].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset}")
            entity = stack.pop()
            if name != entity.extra["tag"]:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {byte_offset}, expected "</'
                    f'{entity.extra["tag"]}>", found "</{name}>"'
                )
            extra = {k: v for k, v in entity.extra.items() if k != "tag"}
            if entity.type is not None:
                out.entity(entity.type, entity.start, **extra)
            i = close + 1
            continue
        if close < 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset}")
        inner = source[i + 1 : close].rstrip("/")
        name_match = re.match(r"[A-Za-z][A-Za-z0-9-]*", inner)
        name = name_match.group(0).lower() if name_match else ""
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {byte_offset}')
        attributes = _html_attributes(inner[len(name) :])
        kind: str | None = _HTML_TAGS[name]
        extra: dict = {"tag": name}
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}'
            )
        if name == "a":
            url = _normalise_link_url(attributes.get("href", ""))
            kind = "text_link" if url else None
            if url:
                extra["url"] = url
        elif name == "code" and stack and stack[-1].type == "pre":
            language = attributes.get("class", "")
            if language.startswith("language-"):
                stack[-1].extra["language"] = language.removeprefix("language-")
            kind = None
        elif name == "blockquote" and "expandable" in attributes:
            kind = "expandable_blockquote"
        elif name == "tg-emoji":
            extra["custom_emoji_id"] = attributes.get("emoji-id", "")
        stack.append(_Open(kind, out.utf16, byte_offset, extra))
        i = close + 1
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].extra["tag"]}"'
        )
    return out.result()


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    """Plain text and entities of `text` in `parse_mode` (None or "" means no formatting)."""
    if not parse_mode:
        return text, []
    parser = {"markdownv2": parse_markdown_v2, "html": parse_html, "markdown": parse_markdown}
    return parser[parse_mode.lower()](text)


def is_supported_parse_mode(parse_mode: str) -> bool:
    return parse_mode.lower() in {mode.lower() for mode in PARSE_MODES}


# ---------------------------------------------------------------------------------------------
# Rendering for the chat page

_RENDER_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="tg-spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
}


def _open_tag(entity: dict) -> tuple[str, str]:
    if entity["type"] == "text_link":
        url = entity.get("url", "")
        if urlsplit(url).scheme.lower() in ("http", "https", "tg"):
            return f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">', "</a>"
        return "<span>", "</span>"
    return _RENDER_TAGS.get(entity["type"], ("<span>", "</span>"))


def render_html(text: str, entities: list[dict] | None) -> str:
    """Safe HTML of a message: every character escaped, entities as a few plain tags."""
    if not entities:
        return str(escape(text))
    # Map UTF-16 offsets to string indices.
    index_of = {}
    position = 0
    for index, ch in enumerate(text):
        index_of[position] = index
        position += 2 if ord(ch) > 0xFFFF else 1
    index_of[position] = len(text)
    spans = []
    for entity in entities:
        start = index_of.get(entity.get("offset", 0))
        end = index_of.get(entity.get("offset", 0) + entity.get("length", 0))
        if start is not None and end is not None and end > start:
            spans.append((start, end, entity))
    boundaries = sorted({0, len(text)} | {s for s, _, _ in spans} | {e for _, e, _ in spans})
    html = []
    open_spans: list[tuple[int, int, dict]] = []
    for here, after in pairwise(boundaries):
        # Close what ends here (reopening anything closed only to keep the tags nested).
        if any(end == here for _, end, _ in open_spans):
            keep = [span for span in open_spans if span[1] != here]
            for span in reversed(open_spans):
                html.append(_open_tag(span[2])[1])
            for span in keep:
                html.append(_open_tag(span[2])[0])
            open_spans = keep
        for span in sorted((s for s in spans if s[0] == here), key=lambda s: -s[1]):
            html.append(_open_tag(span[2])[0])
            open_spans.append(span)
        html.append(str(escape(text[here:after])))
    for span in reversed(open_spans):
        html.append(_open_tag(span[2])[1])
    return "".join(html)
