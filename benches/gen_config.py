#!/usr/bin/env python3
"""Writes a large, realistic nginx configuration for benchmarks.

gen_config.py OUT [SERVERS] [--split DIR N]
  OUT       the main file (with --split: nginx.conf in DIR including N files)
  SERVERS   number of server blocks (default 4000: about 10 MB)
Deterministic: the same arguments give the same bytes.
"""
import os
import sys


def server(i):
    return f"""    server {{
        listen 10.{i // 250 % 250}.{i % 250}.1:443 ssl;
        server_name s{i}.example.com www.s{i}.example.com;
        ssl_certificate     /etc/nginx/tls/s{i}.crt;
        ssl_certificate_key /etc/nginx/tls/s{i}.key;
        ssl_client_certificate /etc/nginx/tls/ca-{i % 50}.pem;
        ssl_verify_client on;
        ssl_verify_depth 2;
        # client certificates are checked by the upstream too
        location / {{
            proxy_pass http://backend{i % 20};
            proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
            proxy_set_header X-SSL-Client-DN "$ssl_client_s_dn";
            proxy_set_header Host $host;
        }}
        location ~* \\.(?:css|js|png|jpe?g)$ {{
            expires 7d;
            add_header Cache-Control "public, max-age=604800";
            try_files $uri /static/${{uri}} =404;
        }}
        location = /health {{
            return 200 "ok\\n";
        }}
        if ($ssl_client_verify != SUCCESS) {{
            return 403;
        }}
    }}
"""


def maps(n):
    out = []
    for m in range(n):
        out.append(f"    map $ssl_client_s_dn $client_{m} {{\n        default \"\";\n")
        for k in range(40):
            out.append(f"        \"~CN=client-{m}-{k},O=Example\" user{k};\n")
        out.append("    }\n")
    return "".join(out)


def upstreams():
    return "".join(
        f"    upstream backend{u} {{\n        server 127.0.0.1:{9000 + u} weight=2;\n        keepalive 16;\n    }}\n"
        for u in range(20)
    )


def head():
    return (
        "worker_processes auto;\nevents {\n    worker_connections 1024;\n}\nhttp {\n"
        "    log_format mtls '$remote_addr [$time_local] \"$request\" $status '\n"
        "                    '$ssl_client_verify \"$ssl_client_s_dn\" $ssl_client_serial';\n"
        "    access_log /var/log/nginx/access.log mtls;\n"
    )


def main():
    args = sys.argv[1:]
    split = None
    if "--split" in args:
        k = args.index("--split")
        split = (args[k + 1], int(args[k + 2]))
        del args[k : k + 3]
    servers = int(args[1]) if len(args) > 1 else 4000
    if split:
        d, n = split
        os.makedirs(os.path.join(d, "conf.d"), exist_ok=True)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(head() + maps(servers // 40) + upstreams() + "    include conf.d/*.conf;\n}\n")
        per = (servers + n - 1) // n
        for j in range(n):
            with open(os.path.join(d, "conf.d", f"site{j:04}.conf"), "w") as f:
                f.write("".join(server(i) for i in range(j * per, min(servers, (j + 1) * per))))
        return
    with open(args[0], "w") as f:
        f.write(head() + maps(servers // 40) + upstreams())
        for i in range(servers):
            f.write(server(i))
        f.write("}\n")


if __name__ == "__main__":
    main()
