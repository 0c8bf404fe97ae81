# Example root module: chatproxy on the cluster of the current kubeconfig context.
#   terraform init && terraform apply -var ingress_host=chat.example.com
# The Secrets referenced below must exist in the namespace first (deploy/README.md).

terraform {
  required_version = ">= 1.6.0"
  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = ">= 3.0.0, < 4.0.0"
    }
  }
}

variable "ingress_host" {
  description = "Public host name of chatproxy."
  type        = string
  default     = "chat.example.com"
}

variable "kubeconfig" {
  description = "Path of the kubeconfig file to use."
  type        = string
  default     = "~/.kube/config"
}

provider "helm" {
  kubernetes = {
    config_path = pathexpand(var.kubeconfig)
  }
}

module "chatproxy" {
  source = "../.."

  namespace    = "chatproxy"
  image        = { repository = "ghcr.io/chatproxy/chatproxy", tag = "0.1.0" }
  replicas     = 2
  max_replicas = 10
  ingress_host = var.ingress_host

  database_url_secret       = { name = "chatproxy", key = "DATABASE_URL" }
  redis_url_secret          = { name = "chatproxy", key = "REDIS_URL" }
  jwt_secret_key_secret     = { name = "chatproxy", key = "JWT_SECRET_KEY" }
  encryption_keys_secret    = { name = "chatproxy", key = "CHATPROXY_ENCRYPTION_KEYS" }
  session_secret_key_secret = { name = "chatproxy", key = "SESSION_SECRET_KEY" }

  sites = [{
    id              = "shop"
    name            = "My shop"
    allowed_origins = ["https://shop.example.com"]
    n8n_webhook_url = "http://n8n.n8n.svc.cluster.local:5678/webhook/REPLACE-ME/chat"
    signing         = { algorithm = "HS256", ttl = "30s" }
  }]
}

output "embed_snippet" {
  description = "The script tag a shop pastes."
  value       = module.chatproxy.embed_snippet
}
