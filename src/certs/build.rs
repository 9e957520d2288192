//! Building the fix: a CA bundle in the order nginx needs, and the key of a PKCS#12 in
//! the PKCS#8 form `p12-keystore` writes.

use std::path::Path;

use super::der::{seq, tlv};
use super::load::{Certificate, read_file};
use super::pem::{self, Body};
use super::verify::likely_issued;

/// A private key as PKCS#8 DER, from a PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`,
/// `EC PRIVATE KEY`) or DER file. The bytes are the secret: the caller zeroes them.
pub fn pkcs8_of_key_file(path: &Path) -> Result<Vec<u8>, String> {
    let mut data = read_file(path).map_err(|e| e.reason())?;
    let r = pkcs8_of_key_bytes(&data);
    data.iter_mut().for_each(|b| *b = 0);
    r
}

fn pkcs8_of_key_bytes(data: &[u8]) -> Result<Vec<u8>, String> {
    let (label, der) = if pem::looks_like_pem(data) {
        let block = pem::scan(data)
            .into_iter()
            .find(pem::Block::is_private_key)
            .ok_or("no private key found")?;
        if block.headers.iter().any(|h| h.contains("ENCRYPTED")) {
            return Err(
                "the key is encrypted: decrypt it first (openssl pkey -in KEY -out KEY.plain)"
                    .into(),
            );
        }
        match block.body {
            Body::Decoded(d) => (block.label, d),
            _ => return Err("the key's PEM block is damaged".into()),
        }
    } else {
        (String::new(), data.to_vec())
    };
    match label.as_str() {
        "PRIVATE KEY" => Ok(der),
        "ENCRYPTED PRIVATE KEY" => Err(
            "the key is encrypted: decrypt it first (openssl pkey -in KEY -out KEY.plain)".into(),
        ),
        "RSA PRIVATE KEY" => Ok(wrap(RSA_ALGORITHM, &der)),
        "EC PRIVATE KEY" => ec_to_pkcs8(&der),
        _ => {
            // DER: PKCS#8 (version, AlgorithmIdentifier, OCTET STRING), else SEC1 or PKCS#1.
            let e = seq(&der).ok_or("not a private key")?;
            match e.as_slice() {
                [(0x02, _), (0x30, _), (0x04, _), ..] => Ok(der),
                [(0x02, _), (0x04, _), ..] => ec_to_pkcs8(&der),
                [(0x02, _), (0x02, _), ..] => Ok(wrap(RSA_ALGORITHM, &der)),
                _ => Err("not a private key".into()),
            }
        }
    }
}

/// AlgorithmIdentifier { rsaEncryption, NULL }.
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/// SEC1 ECPrivateKey to PKCS#8: the curve OID comes from its `[0]` parameters.
fn ec_to_pkcs8(sec1: &[u8]) -> Result<Vec<u8>, String> {
    let e = seq(sec1).ok_or("not an EC private key")?;
    let curve = e
        .iter()
        .find(|(t, _)| *t == 0xa0)
        .and_then(|(_, c)| tlv(c))
        .filter(|(t, _, _)| *t == 0x06)
        .map(|(_, o, _)| o)
        .ok_or("the EC key does not name its curve")?;
    // id-ecPublicKey 1.2.840.10045.2.1
    let mut alg = der_tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
    alg.extend(der_tlv(0x06, curve));
    Ok(wrap(&der_tlv(0x30, &alg), sec1))
}

/// PrivateKeyInfo { version 0, algorithm, OCTET STRING key }.
fn wrap(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend_from_slice(algorithm);
    body.extend(der_tlv(0x04, key));
    der_tlv(0x30, &body)
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The issuer of `c` among `pool` (not itself), as OpenSSL's chain building finds it.
pub fn issuer_in<'a>(c: &Certificate, pool: &[&'a Certificate]) -> Option<&'a Certificate> {
    if c.info.openssl_self_signed {
        return None;
    }
    pool.iter()
        .copied()
        .find(|p| p.der != c.der && likely_issued(&p.info, &c.info))
}

/// The chain of `c` up through `pool`: `c` first, then its issuers.
pub fn chain_of<'a>(c: &'a Certificate, pool: &[&'a Certificate]) -> Vec<&'a Certificate> {
    let mut chain = vec![c];
    while chain.len() <= pool.len() + 1 {
        let last = chain[chain.len() - 1];
        match issuer_in(last, pool) {
            Some(i) if !chain.iter().any(|x| x.der == i.der) => chain.push(i),
            _ => break,
        }
    }
    chain
}

/// CA certificates in the order a bundle lists them: for each root, the CAs below it
/// from the deepest up, then the root; CAs that reach no root last, deepest first.
/// Duplicates (same DER) are kept once.
pub fn order_cas<'a>(cas: &[&'a Certificate]) -> Vec<&'a Certificate> {
    let mut unique: Vec<&Certificate> = Vec::new();
    for c in cas {
        if !unique.iter().any(|u| u.der == c.der) {
            unique.push(c);
        }
    }
    let mut keyed: Vec<(usize, String, usize, String, &Certificate)> = unique
        .iter()
        .map(|c| {
            let chain = chain_of(c, &unique);
            let top = chain[chain.len() - 1];
            let rooted = top.info.openssl_self_signed;
            (
                usize::from(!rooted),
                top.info.subject.clone(),
                usize::MAX - chain.len(),
                c.info.subject.clone(),
                *c,
            )
        })
        .collect();
    keyed.sort_by(|a, b| (a.0, &a.1, a.2, &a.3).cmp(&(b.0, &b.1, b.2, &b.3)));
    keyed.into_iter().map(|k| k.4).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths() {
        assert_eq!(der_tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = vec![0u8; 300];
        let t = der_tlv(0x04, &long);
        assert_eq!(&t[..4], &[0x04, 0x82, 0x01, 0x2c]);
    }
}
