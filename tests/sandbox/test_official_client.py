"""The official hubspot-api-client against the sandbox: its models parse every answer."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

from tests.sandbox.helpers import official_client


def test_pages_through_every_seeded_contact(sandbox):
    client = official_client(sandbox)
    first = client.crm.contacts.basic_api.get_page(limit=100, properties=["age", "job"])
    assert len(first.results) == 100
    assert first.paging.next.after == "101"
    every = client.crm.contacts.get_all(properties=["lifecyclestage"])
    assert [int(c.id) for c in every] == list(range(1, 301))
    assert {c.properties["lifecyclestage"] for c in every} <= {"lead", "customer"}


def test_create_read_and_update_one_contact(sandbox):
    client = official_client(sandbox)
    created = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"email": "new.person@example.com", "firstname": "New", "job": "student"}
        )
    )
    assert created.id == "301"
    fetched = client.crm.contacts.basic_api.get_by_id(created.id, properties=["job", "email"])
    assert fetched.properties["job"] == "student"
    updated = client.crm.contacts.basic_api.update(
        created.id, SimplePublicObjectInput(properties={"job": "retired"})
    )
    assert updated.properties["job"] == "retired"
    by_email = client.crm.contacts.basic_api.get_by_id(
        "new.person@example.com", id_property="email", properties=["job"]
    )
    assert by_email.id == created.id


def test_duplicate_email_is_a_conflict(sandbox):
    client = official_client(sandbox)
    taken = client.crm.contacts.basic_api.get_by_id("5").properties["email"]
    with pytest.raises(ContactsApiException) as caught:
        client.crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"email": taken})
        )
    assert caught.value.status == 409
    assert "Existing ID: 5" in caught.value.body


def test_batch_read_reports_unknown_ids_in_a_207(sandbox):
    client = official_client(sandbox)
    answer = client.crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=i) for i in ("1", "2", "99999")],
            properties=["age"],
            properties_with_history=[],
        )
    )
    assert sorted(r.id for r in answer.results) == ["1", "2"]
    assert answer.num_errors == 1
    assert answer.errors[0].category == "OBJECT_NOT_FOUND"
    assert answer.errors[0].context["ids"] == ["99999"]


def test_batch_update_200_then_207_with_per_record_errors(sandbox):
    client = official_client(sandbox)
    ok = client.crm.contacts.batch_api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                SimplePublicObjectBatchInput(id=str(i), properties={"campaign": "9"})
                for i in range(1, 101)
            ]
        )
    )
    assert ok.status == "COMPLETE"
    assert len(ok.results) == 100
    assert not hasattr(ok, "errors") or not getattr(ok, "errors", None)
    mixed = client.crm.contacts.batch_api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                SimplePublicObjectBatchInput(id="1", properties={"campaign": "10"}),
                SimplePublicObjectBatchInput(id="2", properties={"campaign": "not a number"}),
                SimplePublicObjectBatchInput(id="424242", properties={"campaign": "3"}),
            ]
        )
    )
    assert [r.id for r in mixed.results] == ["1"]
    categories = sorted(error.category for error in mixed.errors)
    assert categories == ["OBJECT_NOT_FOUND", "VALIDATION_ERROR"]
    untouched = client.crm.contacts.basic_api.get_by_id("2", properties=["campaign"])
    assert untouched.properties["campaign"] == "9"


def test_batch_limit_and_undefined_properties_fail_the_whole_request(sandbox):
    client = official_client(sandbox)
    too_many = [
        SimplePublicObjectBatchInput(id=str(i), properties={"age": "30"}) for i in range(101)
    ]
    with pytest.raises(ContactsApiException) as caught:
        client.crm.contacts.batch_api.update(
            BatchInputSimplePublicObjectBatchInput(inputs=too_many)
        )
    assert caught.value.status == 400
    with pytest.raises(ContactsApiException) as caught:
        client.crm.contacts.batch_api.update(
            BatchInputSimplePublicObjectBatchInput(
                inputs=[SimplePublicObjectBatchInput(id="1", properties={"no_such_thing": "1"})]
            )
        )
    assert caught.value.status == 400
    assert "PROPERTY_DOESNT_EXIST" in caught.value.body


def test_search_filters_sorts_and_pages(sandbox):
    client = official_client(sandbox)
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(filters=[Filter(property_name="age", operator="GTE", value="50")])
        ],
        sorts=["-age"],
        properties=["age"],
        limit=200,
    )
    answer = client.crm.contacts.search_api.do_search(request)
    ages = [float(c.properties["age"]) for c in answer.results]
    assert ages and min(ages) >= 50
    assert ages == sorted(ages, reverse=True)
    assert answer.total == len(ages)
    with pytest.raises(ContactsApiException) as caught:
        client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=201))
    assert caught.value.status == 400
    with pytest.raises(ContactsApiException) as caught:
        client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(after="10000"))
    assert caught.value.status == 400


def test_search_pages_with_after(sandbox):
    client = official_client(sandbox)
    first = client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=200))
    second = client.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(limit=200, after=first.paging.next.after)
    )
    assert first.total == 300
    assert len(first.results) == 200 and len(second.results) == 100
    assert second.paging is None


def test_properties_and_groups(sandbox):
    client = official_client(sandbox)
    names = {p.name for p in client.crm.properties.core_api.get_all("contacts").results}
    assert {"email", "lifecyclestage", "age", "emp_var_rate", "hs_object_id"} <= names
    assert "y" not in names
    group = client.crm.properties.groups_api.create(
        "contacts", PropertyGroupCreate(name="holisticrm", label="HolistiCrm")
    )
    assert group.name == "holisticrm"
    created = client.crm.properties.core_api.create(
        "contacts",
        PropertyCreate(
            name="holisticrm_score",
            label="Score",
            type="number",
            field_type="number",
            group_name="holisticrm",
        ),
    )
    assert created.name == "holisticrm_score"
    for call in (
        lambda: client.crm.properties.groups_api.create(
            "contacts", PropertyGroupCreate(name="holisticrm", label="HolistiCrm")
        ),
        lambda: client.crm.properties.core_api.create(
            "contacts",
            PropertyCreate(
                name="holisticrm_score",
                label="Score",
                type="number",
                field_type="number",
                group_name="holisticrm",
            ),
        ),
    ):
        with pytest.raises(PropertiesApiException) as caught:
            call()
        assert caught.value.status == 409
    updated = client.crm.contacts.basic_api.update(
        "3", SimplePublicObjectInput(properties={"holisticrm_score": "87"})
    )
    assert updated.properties["holisticrm_score"] == "87"


def test_merge_and_gdpr_delete(sandbox):
    from hubspot.crm.contacts import PublicGdprDeleteInput, PublicMergeInput

    client = official_client(sandbox)
    merged = client.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id="10", object_id_to_merge="11")
    )
    assert merged.id == "10"
    client.crm.contacts.basic_api.purge(PublicGdprDeleteInput(object_id="12"))
    for gone in ("11", "12"):
        with pytest.raises(ContactsApiException) as caught:
            client.crm.contacts.basic_api.get_by_id(gone)
        assert caught.value.status == 404


def test_archived_contacts_are_listed_and_read_only_with_archived_true(sandbox):
    client = official_client(sandbox)
    client.crm.contacts.basic_api.archive("4")
    archived = client.crm.contacts.basic_api.get_by_id("4", archived=True)
    assert archived.archived is True and archived.archived_at is not None
    page = client.crm.contacts.basic_api.get_page(archived=True)
    assert [c.id for c in page.results] == ["4"]
    live = client.crm.contacts.basic_api.get_page(limit=5)
    assert "4" not in [c.id for c in live.results]
