import json

from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver

from channels import Group


class ChatMessage(models.Model):
    room = models.CharField(max_length=100)
    username = models.CharField(max_length=150)
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return "%s: %s" % (self.username, self.text)


@receiver(post_save, sender=ChatMessage)
def broadcast_message(sender, instance, created, **kwargs):
    """Every saved message goes to the sockets of its room, wherever it was saved."""
    if created:
        Group("chat-%s" % instance.room).send({
            "text": json.dumps({"user": instance.username, "text": instance.text}),
        })
