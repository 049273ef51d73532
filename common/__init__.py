"""Vocabulary every layer shares (content, store, actions, reminders, bot): it imports nothing of ours."""
