# Import adopts a finished build (100 %) as a completed wait; an unfinished
# one is refused: let terraform apply create the wait instead.

# An image in the provider's region and zone:
terraform import compshare_image_wait.gpu compshareImage-xxxx

# Or with its region and zone, as region/zone/image_id:
terraform import compshare_image_wait.gpu cn-wlcb/cn-wlcb-01/compshareImage-xxxx
