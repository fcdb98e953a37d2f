# The running training instances of the account.
data "compshare_instances" "training" {
  name_regex = "^train-"
  state      = "Running"
}

output "training_instances" {
  value = { for i in data.compshare_instances.training.instances : i.name => i.ips }
}
