# terraform test (offline: the module has no provider).

variables {
  image                  = { repository = "registry.example.com/chatproxy", tag = "1.2.3" }
  replicas               = 3
  max_replicas           = 12
  ingress_host           = "chat.example.com"
  ingress_class_name     = "nginx"
  tls_secret_name        = "chat-tls"
  database_url_secret    = { name = "chatproxy-db", key = "url" }
  jwt_secret_key_secret  = { name = "chatproxy", key = "jwt" }
  encryption_keys_secret = { name = "chatproxy", key = "enc" }
  sites                  = [{ id = "shop", allowed_origins = ["https://shop.example.com"], n8n_webhook_url = "http://n8n:5678/webhook/x/chat" }]
  trusted_proxies        = "10.0.0.0/8"
}

run "secret_references_and_autoscaling" {
  command = plan

  assert {
    condition     = output.values.secrets.databaseURL == { existingSecret = "chatproxy-db", key = "url" }
    error_message = "DATABASE_URL must come from the given Secret."
  }
  assert {
    condition     = output.values.secrets.redisURL.existingSecret == "" && output.values.secrets.sessionSecretKey.existingSecret == ""
    error_message = "null references must leave the settings out."
  }
  assert {
    condition     = output.values.autoscaling.enabled && output.values.autoscaling.minReplicas == 3 && output.values.autoscaling.maxReplicas == 12
    error_message = "replicas and max_replicas set the autoscaler."
  }
  assert {
    condition     = output.values.publicURL == "https://chat.example.com" && output.values.ingress.host == "chat.example.com"
    error_message = "the host sets the Ingress and CHATPROXY_PUBLIC_URL."
  }
  assert {
    condition     = output.values.sites.sites[0].id == "shop"
    error_message = "sites go into the sites file."
  }
}

run "fixed_replicas_turn_autoscaling_off" {
  command = plan
  variables {
    replicas     = 2
    max_replicas = 2
  }
  assert {
    condition     = !output.values.autoscaling.enabled && output.values.replicaCount == 2
    error_message = "max_replicas == replicas turns the autoscaler off."
  }
}

run "bad_host_is_refused" {
  command = plan
  variables {
    ingress_host = "https://chat.example.com/"
  }
  expect_failures = [var.ingress_host]
}

run "bad_site_id_is_refused" {
  command = plan
  variables {
    sites = [{ id = "Shop One", allowed_origins = [], n8n_webhook_url = "http://n8n" }]
  }
  expect_failures = [var.sites]
}
