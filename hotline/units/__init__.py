"""Member units (成员单位): city, district and town/street offices and city departments."""
