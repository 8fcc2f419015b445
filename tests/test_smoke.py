"""The app starts, signs a user in and serves each area."""


def test_pages_answer_for_an_admin(client, auth, make_user, make_asset):
    asset = make_asset()
    admin = make_user("admin", organisation=asset.organisation_id)
    assert auth.login(admin).status_code == 302
    for url in (
        "/",
        "/locations",
        "/clients",
        "/projects",
        "/assets",
        f"/assets/{asset.id}",
        f"/projects/{asset.project_id}",
        f"/clients/{asset.client_id}",
        f"/locations/{asset.location_id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        if url.startswith(("/assets", "/projects/")):
            assert asset.tag.encode() in response.data, url
