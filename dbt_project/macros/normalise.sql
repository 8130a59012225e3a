{# Text normalisation for identity resolution: full-width forms to half-width (the ideographic
   space too), spaces and punctuation dropped, Latin letters upper-cased. #}
{% macro halfwidth(expr) -%}
translate({{ expr }},
  '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ（）【】［］－．，、　',
  '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz()[][]-.,, ')
{%- endmacro %}

{% macro normalise_text(expr) -%}
upper(regexp_replace({{ halfwidth(expr) }}, '[\s()\[\]\-.,·]+', '', 'g'))
{%- endmacro %}

{# Company names: also drop the legal-form ending (longest first, so 有限责任公司 is not cut to
   有限责任): utility clerks and invoice issuers swap or omit it. #}
{% macro normalise_company_name(expr) -%}
regexp_replace({{ normalise_text(expr) }},
  '(股份有限责任公司|股份有限公司|有限责任公司|有限公司|股份公司|公司|合伙企业有限合伙|合伙企业普通合伙|合伙企业|有限合伙|普通合伙|经营部|商行|工作室|厂|店)$', '')
{%- endmacro %}

{# Addresses: the province part is often left out and the house number written as 12, 12号
   or 12号楼; keep what every spelling shares. #}
{% macro normalise_address(expr) -%}
regexp_replace(regexp_replace({{ normalise_text(expr) }}, '^[^省市]*?(省|自治区)', ''), '号楼?', '', 'g')
{%- endmacro %}

{# Company names with the legal form reduced to its class: 有限公司 and 有限责任公司 are the same
   form (LLC), 股份有限公司 and the misspelt 股份有限责任公司 another (JSC). Tells apart two firms
   whose names differ only in form, when the other key would confuse them. #}
{% macro normalise_legal_form(expr) -%}
regexp_replace(regexp_replace({{ normalise_text(expr) }}, '股份有限(责任)?公司$', '#JSC'), '有限(责任)?公司$', '#LLC')
{%- endmacro %}
