"""Setups for the permission tables: a ticket with a photo on it."""

from __future__ import annotations


def ticket_with_photo(world) -> dict:
    """A dispatched ticket (lead DEPT-A, assisted by DEPT-C) carrying one photo."""
    from hotline.attachments import services
    from hotline.core import clock
    from hotline.extensions import db

    from .images import jpeg_with_location

    number = world.ticket("dispatched", lead="DEPT-A", assists=["DEPT-C"])
    with world.app.app_context():
        attachment = services.attach_upload(
            world.get(number), jpeg_with_location(), "a.jpg", actor=world.user("operator"), now=clock.now()
        )
        db.session.commit()
        return {"attachment_id": attachment.id, "variant": "shown"}
