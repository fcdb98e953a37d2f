# Import an existing custom image. The image list does not say which
# instance it was built from: the first plan after the import shows one
# update in place, uhost_id from null to the configuration's value (status
# and the rest stay as they are), and the apply records it without calling
# the API.

# An image in the provider's region and zone:
terraform import compshare_custom_image.env compshareImage-xxxx

# Or with its region and zone, as region/zone/image_id:
terraform import compshare_custom_image.env cn-wlcb/cn-wlcb-01/compshareImage-xxxx
