# One GPU instance, by id. Its password is never read.
data "compshare_instance" "trainer" {
  id = "uhost-xxxx"
}

output "trainer" {
  value = {
    state = data.compshare_instance.trainer.state
    ips   = data.compshare_instance.trainer.ips
    gpus  = "${data.compshare_instance.trainer.gpu} x ${data.compshare_instance.trainer.gpu_type}"
  }
}
