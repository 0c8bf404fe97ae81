variable "image" {
  description = "Container image: repository and tag."
  type = object({
    repository = string
    tag        = string
  })
}

variable "replicas" {
  description = "Replicas (the autoscaler's minimum when max_replicas is larger)."
  type        = number

  validation {
    condition     = var.replicas >= 1 && floor(var.replicas) == var.replicas
    error_message = "replicas must be a whole number of at least 1."
  }
}

variable "max_replicas" {
  description = "Autoscaler maximum; equal to replicas turns autoscaling off."
  type        = number
}

variable "ingress_host" {
  description = "Public host name (no scheme, no path)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.ingress_host))
    error_message = "ingress_host must be a bare host name such as chat.example.com."
  }
}

variable "ingress_class_name" {
  description = "IngressClass of the ingress controller."
  type        = string
}

variable "tls_secret_name" {
  description = "Secret holding the TLS certificate of ingress_host."
  type        = string
}

variable "database_url_secret" {
  description = "Existing Secret and key holding DATABASE_URL."
  type = object({
    name = string
    key  = string
  })
}

variable "redis_url_secret" {
  description = "Existing Secret and key holding REDIS_URL, or null for none."
  type = object({
    name = string
    key  = string
  })
  default = null
}

variable "jwt_secret_key_secret" {
  description = "Existing Secret and key holding JWT_SECRET_KEY."
  type = object({
    name = string
    key  = string
  })
}

variable "encryption_keys_secret" {
  description = "Existing Secret and key holding CHATPROXY_ENCRYPTION_KEYS."
  type = object({
    name = string
    key  = string
  })
}

variable "session_secret_key_secret" {
  description = "Existing Secret and key holding SESSION_SECRET_KEY, or null for none."
  type = object({
    name = string
    key  = string
  })
  default = null
}

variable "sites" {
  description = "The sites list of the sites file."
  type        = any

  validation {
    condition     = length(var.sites) > 0 && alltrue([for s in var.sites : can(regex("^[a-z0-9_-]+$", s.id))])
    error_message = "sites must list at least one site, each with an id of a-z, 0-9, - and _."
  }
}

variable "trusted_proxies" {
  description = "CIDRs whose X-Forwarded-For is believed."
  type        = string
}
