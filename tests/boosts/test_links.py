"""Which links can be boosted, their normal form, and the reason a refused one is given."""

from __future__ import annotations

import pytest

from apps.boosts import links
from apps.boosts.links import LinkRefused, PostLink, looks_like_link, parse_post_link

TG_URL = "https://t.me/brandchannel/42"


@pytest.mark.parametrize(
    "text",
    [
        "https://x.com/brand/status/1790000000000000001",
        "http://x.com/brand/status/1790000000000000001",
        "https://twitter.com/brand/status/1790000000000000001",
        "https://www.twitter.com/brand/status/1790000000000000001",
        "https://mobile.twitter.com/brand/status/1790000000000000001",
        "https://www.x.com/brand/status/1790000000000000001",
        "https://mobile.x.com/brand/statuses/1790000000000000001",
        "https://x.com/brand/status/1790000000000000001?s=20&t=AbCdEf",
        "https://x.com/brand/status/1790000000000000001#m",
        "https://x.com/brand/status/1790000000000000001/",
        "https://x.com/brand/status/1790000000000000001/photo/1",
        "  https://x.com/brand/status/1790000000000000001\n",
        "HTTPS://X.COM/brand/status/1790000000000000001",
    ],
)
def test_x_post_links_are_normalised_to_x_com(text):
    assert parse_post_link(text) == PostLink(
        "x", "https://x.com/brand/status/1790000000000000001", "1790000000000000001"
    )


@pytest.mark.parametrize(
    ("text", "url", "post_id"),
    [
        ("https://t.me/brandchannel/42", TG_URL, "brandchannel/42"),
        ("http://telegram.me/brandchannel/42", TG_URL, "brandchannel/42"),
        ("https://telegram.dog/brandchannel/42/", TG_URL, "brandchannel/42"),
        ("https://www.t.me/brandchannel/42", TG_URL, "brandchannel/42"),
        ("https://www.telegram.me/brandchannel/42", TG_URL, "brandchannel/42"),
        ("https://t.me/brandchannel/42?single", TG_URL, "brandchannel/42"),
        ("https://t.me/brandchannel/42?comment=7#x", TG_URL, "brandchannel/42"),
        ("https://t.me/c/1234567890/55", "https://t.me/c/1234567890/55", "c/1234567890/55"),
    ],
)
def test_telegram_post_links_are_normalised_to_t_me(text, url, post_id):
    assert parse_post_link(text) == PostLink("telegram", url, post_id)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", links.EMPTY),
        ("   ", links.EMPTY),
        ("javascript:alert(1)//x.com/a/status/1", links.BAD_SCHEME),
        ("tg://resolve?domain=brandchannel&post=42", links.BAD_SCHEME),
        ("data:text/html,https://x.com/a/status/1", links.BAD_SCHEME),
        ("ftp://x.com/brand/status/1", links.BAD_SCHEME),
        ("x.com/brand/status/1", links.BAD_SCHEME),
        ("https://evil.com/brand/status/1", links.OTHER_HOST),
        ("https://x.com.evil.com/brand/status/1", links.OTHER_HOST),
        ("https://notx.com/brand/status/1", links.OTHER_HOST),
        ("https://x.com:8443/brand/status/1", links.OTHER_HOST),
        ("https://user:pass@x.com/brand/status/1", links.USER_INFO),
        ("https://x.com@evil.com/brand/status/1", links.USER_INFO),
        ("https://x.com/brand", links.X_NOT_A_POST),
        ("https://x.com/brand/status/", links.X_NOT_A_POST),
        ("https://x.com/brand/status/12ab", links.X_NOT_A_POST),
        ("https://x.com/brand/likes", links.X_NOT_A_POST),
        ("https://x.com/%62rand/status/1", links.X_NOT_A_POST),
        ("https://t.me/brandchannel", links.TELEGRAM_NOT_A_POST),
        ("https://t.me/+AbCdEfGh", links.TELEGRAM_NOT_A_POST),
        ("https://t.me/joinchat/42", links.TELEGRAM_NOT_A_POST),
        ("https://t.me/c/abc/1", links.TELEGRAM_NOT_A_POST),
        ("look https://x.com/brand/status/1", links.NOT_ALONE),
        ("https://x.com/brand/status/1 https://x.com/brand/status/2", links.NOT_ALONE),
        ("https://x.com/brand/status/1?" + "a" * 500, links.TOO_LONG),
    ],
)
def test_refused_links_say_why(text, reason):
    with pytest.raises(LinkRefused) as refusal:
        parse_post_link(text)
    assert refusal.value.message == reason


def test_a_link_of_exactly_512_characters_is_accepted():
    base = "https://x.com/brand/status/1?"
    text = base + "a" * (512 - len(base))
    assert len(text) == 512
    assert parse_post_link(text).url == "https://x.com/brand/status/1"


@pytest.mark.parametrize(
    ("text", "linkish"),
    [
        ("https://x.com/brand/status/1", True),
        ("x.com/brand/status/1", True),
        ("t.me/brandchannel/42", True),
        ("javascript:alert(1)", True),
        ("tg://resolve?domain=a", True),
        ("please boost https://t.me/a/1", True),
        ("hello there", False),
        ("250", False),
        ("@brand", False),
        ("", False),
    ],
)
def test_only_link_attempts_are_treated_as_links(text, linkish):
    assert looks_like_link(text) is linkish
