output "release_name" {
  description = "Name of the Helm release."
  value       = helm_release.chatproxy.name
}

output "namespace" {
  description = "Namespace chatproxy runs in."
  value       = helm_release.chatproxy.namespace
}

output "release_version" {
  description = "Revision of the Helm release."
  value       = helm_release.chatproxy.version
}

output "embed_snippet" {
  description = "The script tag a shop pastes (replace SITE with its site id)."
  value       = "<script src=\"https://${var.ingress_host}/embed.js\" data-site-id=\"SITE\" async></script>"
}
