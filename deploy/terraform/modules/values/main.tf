# Chart values for chatproxy from the module's inputs. No provider: `terraform test` runs it
# offline, and deploy/terraform/terraform_test.go renders the chart with its output.

locals {
  secret_ref = {
    for k, v in {
      databaseURL      = var.database_url_secret
      redisURL         = var.redis_url_secret
      jwtSecretKey     = var.jwt_secret_key_secret
      encryptionKeys   = var.encryption_keys_secret
      sessionSecretKey = var.session_secret_key_secret
    } : k => v == null ? { existingSecret = "", key = "unused" } : { existingSecret = v.name, key = v.key }
  }

  values = {
    image          = { repository = var.image.repository, tag = var.image.tag }
    replicaCount   = var.replicas
    publicURL      = "https://${var.ingress_host}"
    trustedProxies = var.trusted_proxies
    autoscaling = {
      enabled     = var.max_replicas > var.replicas
      minReplicas = var.replicas
      maxReplicas = max(var.max_replicas, var.replicas)
    }
    ingress = {
      enabled       = true
      host          = var.ingress_host
      className     = var.ingress_class_name
      tlsSecretName = var.tls_secret_name
    }
    secrets = local.secret_ref
    sites   = { sites = var.sites }
  }
}
