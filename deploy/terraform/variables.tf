variable "release_name" {
  description = "Name of the Helm release (and prefix of its objects)."
  type        = string
  default     = "chatproxy"
}

variable "namespace" {
  description = "Kubernetes namespace to install into."
  type        = string
  default     = "chatproxy"
}

variable "create_namespace" {
  description = "Create the namespace if it does not exist."
  type        = bool
  default     = true
}

variable "chart_path" {
  description = "Path (or repository reference) of the chatproxy chart; defaults to the chart in this repository."
  type        = string
  default     = null
}

variable "image" {
  description = "Container image: repository and tag."
  type = object({
    repository = string
    tag        = string
  })
  default = {
    repository = "ghcr.io/chatproxy/chatproxy"
    tag        = "0.1.0"
  }
}

variable "replicas" {
  description = "Replicas (the autoscaler's minimum when max_replicas is larger). At least 2 for rolling restarts without a gap."
  type        = number
  default     = 2
}

variable "max_replicas" {
  description = "Autoscaler maximum; equal to replicas turns autoscaling off."
  type        = number
  default     = 10
}

variable "ingress_host" {
  description = "Public host name of chatproxy (the Ingress host and CHATPROXY_PUBLIC_URL)."
  type        = string
}

variable "ingress_class_name" {
  description = "IngressClass of the ingress-nginx controller."
  type        = string
  default     = "nginx"
}

variable "tls_secret_name" {
  description = "Secret holding the TLS certificate of ingress_host (e.g. created by cert-manager)."
  type        = string
  default     = "chatproxy-tls"
}

variable "database_url_secret" {
  description = "Existing Secret and key holding DATABASE_URL (postgres://...)."
  type = object({
    name = string
    key  = string
  })
}

variable "redis_url_secret" {
  description = "Existing Secret and key holding REDIS_URL; null runs without Redis (one replica's limits and reply buffers only)."
  type = object({
    name = string
    key  = string
  })
  default = null
}

variable "jwt_secret_key_secret" {
  description = "Existing Secret and key holding JWT_SECRET_KEY (>= 32 characters)."
  type = object({
    name = string
    key  = string
  })
}

variable "encryption_keys_secret" {
  description = "Existing Secret and key holding CHATPROXY_ENCRYPTION_KEYS (from `chatproxy keys generate`)."
  type = object({
    name = string
    key  = string
  })
}

variable "session_secret_key_secret" {
  description = "Existing Secret and key holding SESSION_SECRET_KEY (default HS256 key of the JWTs sent to n8n); null when every site has its own key."
  type = object({
    name = string
    key  = string
  })
  default = null
}

variable "sites" {
  description = "The sites, as in the sites file's `sites:` list (id, allowed_origins, n8n_webhook_url, ...)."
  type        = any
}

variable "trusted_proxies" {
  description = "CIDRs whose X-Forwarded-For is believed: the ingress controller's pod network."
  type        = string
  default     = "10.0.0.0/8"
}

variable "extra_values" {
  description = "More chart values, merged over the ones this module sets (see deploy/helm/chatproxy/values.yaml)."
  type        = any
  default     = {}
}
