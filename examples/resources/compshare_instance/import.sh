# Import an existing instance. The instance list does not show its
# security group: the first apply takes security_group_id from the
# configuration, in place. An imported instance has no password_wo_version:
# setting one resets the password at the next apply.

# An instance in the provider's region and zone:
terraform import compshare_instance.trainer uhost-xxxx

# Or with its region and zone, as region/zone/uhost_id:
terraform import compshare_instance.trainer cn-wlcb/cn-wlcb-01/uhost-xxxx
