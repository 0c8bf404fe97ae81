# Installs the chatproxy Helm chart. The values are computed by the provider-free module
# ./modules/values (tested offline with `terraform test`); this file only hands them to Helm.

module "values" {
  source = "./modules/values"

  image                     = var.image
  replicas                  = var.replicas
  max_replicas              = var.max_replicas
  ingress_host              = var.ingress_host
  ingress_class_name        = var.ingress_class_name
  tls_secret_name           = var.tls_secret_name
  database_url_secret       = var.database_url_secret
  redis_url_secret          = var.redis_url_secret
  jwt_secret_key_secret     = var.jwt_secret_key_secret
  encryption_keys_secret    = var.encryption_keys_secret
  session_secret_key_secret = var.session_secret_key_secret
  sites                     = var.sites
  trusted_proxies           = var.trusted_proxies
}

resource "helm_release" "chatproxy" {
  name             = var.release_name
  namespace        = var.namespace
  create_namespace = var.create_namespace
  chart            = coalesce(var.chart_path, "${path.module}/../helm/chatproxy")

  values = [module.values.yaml, yamlencode(var.extra_values)]

  # The chart's migration Job runs as a pre-upgrade hook; a failure rolls the release back.
  atomic          = true
  wait            = true
  timeout         = 600
  cleanup_on_fail = true
}
