"""Telegram's parse modes as the fake applies them (cases from Telegram's own behaviour)."""

from __future__ import annotations

import pytest

from apps.sandbox.formatting import (
    EntityParseError,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    render_html,
)


@pytest.mark.parametrize("reserved", list("]()>#+-=|{}.!"))
def test_markdown_v2_reserved_characters_must_be_escaped(reserved):
    with pytest.raises(EntityParseError) as refused:
        parse_markdown_v2(f"a {reserved}")

    assert str(refused.value) == (
        f"Character '{reserved}' is reserved and must be escaped with the preceding '\\'"
    )
    assert parse_markdown_v2(f"a \\{reserved}") == (f"a {reserved}", [])


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("🏟 🏟_abacaba", "Can't find end of Italic entity at byte offset 9"),
        ("🏟 🏟_abac * asd ", "Can't find end of Bold entity at byte offset 15"),
        ("🏟 🏟`", "Can't find end of Code entity at byte offset 9"),
        ("🏟 🏟```", "Can't find end of Pre entity at byte offset 9"),
        ("🏟 🏟_🏟 🏟__", "Can't find end of Underline entity at byte offset 19"),
        ("[telegram\\.org](asd\\)", "Can't find end of a URL at byte offset 16"),
    ],
)
def test_markdown_v2_unclosed_entities_name_their_byte_offset(source, error):
    with pytest.raises(EntityParseError) as refused:
        parse_markdown_v2(source)

    assert str(refused.value) == error


def test_markdown_v2_entities_are_in_utf16_units_and_nest():
    text, entities = parse_markdown_v2("🏟 🏟__🏟 _🏟___ *b ~s~* ||x||")

    assert text == "🏟 🏟🏟 🏟 b s x"
    assert entities == [
        {"offset": 5, "length": 5, "type": "underline"},
        {"offset": 8, "length": 2, "type": "italic"},
        {"offset": 11, "length": 3, "type": "bold"},
        {"offset": 13, "length": 1, "type": "strikethrough"},
        {"offset": 15, "length": 1, "type": "spoiler"},
    ]


def test_markdown_v2_code_links_and_quotes():
    text, entities = parse_markdown_v2("`a.b` [site](https://x.org/a\\)b) \n>quoted\nafter")

    assert text == "a.b site \nquoted\nafter"
    assert entities == [
        {"offset": 0, "length": 3, "type": "code"},
        {"offset": 4, "length": 4, "type": "text_link", "url": "https://x.org/a)b"},
        {"offset": 10, "length": 7, "type": "blockquote"},
    ]


def test_html_mode_decodes_entities_and_refuses_what_telegram_refuses():
    assert parse_html('<b>1 &lt; 2</b> <a href="https://x.org">x</a>') == (
        "1 < 2 x",
        [
            {"offset": 0, "length": 5, "type": "bold"},
            {"offset": 6, "length": 1, "type": "text_link", "url": "https://x.org"},
        ],
    )
    for source, error in [
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ]:
        with pytest.raises(EntityParseError) as refused:
            parse_html(source)
        assert str(refused.value) == error


def test_legacy_markdown():
    assert parse_markdown("*b* _i_ `c` a\\_b") == (
        "b i c a_b",
        [
            {"offset": 0, "length": 1, "type": "bold"},
            {"offset": 2, "length": 1, "type": "italic"},
            {"offset": 4, "length": 1, "type": "code"},
        ],
    )
    with pytest.raises(EntityParseError, match="starting at byte offset 3"):
        parse_markdown("ok *open")


def test_render_html_escapes_everything_but_its_own_tags():
    text, entities = parse_markdown_v2('*<script\\>* [x](https://x.org/?a="b) 🏟 _i_')

    assert render_html(text, entities) == (
        "<b>&lt;script&gt;</b> "
        '<a href="https://x.org/?a=&quot;b" target="_blank" rel="noopener noreferrer">x</a>'
        " 🏟 <i>i</i>"
    )
    assert render_html("<img src=x>", []) == "&lt;img src=x&gt;"
    assert render_html(
        "x", [{"offset": 0, "length": 1, "type": "text_link", "url": "javascript:1"}]
    ) == ("<span>x</span>")


def test_html_mode_covers_telegrams_tags():
    text, entities = parse_html(
        '<pre><code class="language-python">x &#60; 1</code></pre>'
        "<blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler>"
        '<span class="tg-spoiler">t</span><u>u</u><s>d</s><a>no link</a>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>&#x41;&nbsp;'
    )

    assert text == "x < 1qstudno link👍A&nbsp;"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("pre", 0, 5),
        ("expandable_blockquote", 5, 1),
        ("spoiler", 6, 1),
        ("spoiler", 7, 1),
        ("underline", 8, 1),
        ("strikethrough", 9, 1),
        ("custom_emoji", 17, 2),
    ]
    assert entities[0]["language"] == "python"
    for source in ("<b", "x</b", '<span class="x">y</span>'):
        with pytest.raises(EntityParseError):
            parse_html(source)


def test_legacy_markdown_pre_and_links():
    assert parse_markdown("```js\nlet a\n``` [site](example.com)") == (
        "let a\n site",
        [
            {"offset": 0, "length": 6, "type": "pre", "language": "js"},
            {"offset": 7, "length": 4, "type": "text_link", "url": "http://example.com/"},
        ],
    )
    for unclosed in ("```x", "[a", "[a](b"):
        with pytest.raises(EntityParseError, match="byte offset 0"):
            parse_markdown(unclosed)


def test_markdown_v2_links_without_url_and_pre_without_language():
    assert parse_markdown_v2("[example\\.com] ```plain text```") == (
        "example.com plain text",
        [
            {"offset": 0, "length": 11, "type": "text_link", "url": "http://example.com/"},
            {"offset": 12, "length": 10, "type": "pre"},
        ],
    )
    assert parse_markdown_v2("[x](javascript:alert) \\\\ `a\\`b`") == (
        "x \\ a`b",
        [{"offset": 4, "length": 3, "type": "code"}],
    )
