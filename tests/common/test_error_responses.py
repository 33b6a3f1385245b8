"""What a non-staff client sees when something goes wrong: a clear JSON error, no traceback."""

import pytest


@pytest.mark.urls("tests.common.urls_failing")
def test_a_crash_answers_500_with_the_request_id_and_no_internals(client):
    client.raise_request_exception = False
    response = client.get("/crash/", HTTP_X_REQUEST_ID="crash-req-1")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "server_error"
    assert "crash-req-1" in body["detail"]
    text = response.content.decode()
    assert "Traceback" not in text and "leakedtoken123" not in text and "secret.py" not in text


def test_unknown_paths_answer_a_json_404(client):
    response = client.get("/definitely/not/here/")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Nothing is here."}


def test_health_refuses_other_methods(client):
    assert client.post("/health/").status_code == 405
