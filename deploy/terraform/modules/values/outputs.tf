output "values" {
  description = "The chart values as an object."
  value       = local.values
}

output "yaml" {
  description = "The chart values as YAML, for helm_release.values or helm -f."
  value       = yamlencode(local.values)
}
