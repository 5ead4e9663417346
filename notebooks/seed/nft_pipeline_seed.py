# The study note's original DAG (seed section 3.2, "데이터 파이프라인 구축"), copied
# unchanged -- Korean comments, Airflow 2.3 names and defects included. It does NOT
# import on Airflow 3.3; notebook 09 (09_seed_errata.ipynb) loads it to show why and
# fixes each defect. ruff excludes notebooks/seed; dags/nft_pipeline.py is the fixed DAG.
from datetime import datetime
import json
from airflow import DAG
# from airflow.providers.sqlite.operators.sqlite import SqliteOperator
from airflow.operators.postgres_operator import PostgresOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.providers.http.operators.http import SimpleHttpOperator
from airflow.operators.python import PythonOperator #유일한 내장 operator
from airflow.operators.bash import BashOperator
from pandas import json_normalize #json to pandas

default_args = {
    'start_date': datetime(2021,1,1), # dag 시작하는 기준
}

def _processing_nft(ti):  # data passing, ti = task instance
    assets = ti.xcom_pull(task_ids=['extract_nft']) # xcom_pull: 특정 task id에서 데이터를 pull 해옴
    if not len(assets):
        raise ValueError("assets is empty")
    nft = assets[0]['assets'][0]   # opensea api 내 nft assets json 인덱싱

    processed_nft = json_normalize({  # convert json to pandas object
        'token_id': nft['token_id'],
        'name': nft['name'],
        'image_url': nft['image_url'],
    })
    processed_nft.to_csv('/tmp/processed_nft.csv', index=None, header=False)

with DAG(dag_id='nft-pipeline',
        schedule_interval = '@daily',
        default_args = default_args,
        tags = ['nft'],
        catchup = False) as dag:
  
  # 01. 테이블 생성
  creating_table = PostgresOperator(
    task_id = 'creating_table',
    postgres_conn_id ='db_postgre',  # db connection id
    sql='''
      CREATE TABLE IF NOT EXIXTS nfts (
        token_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        image_url TEXT NOT NULL
      )
    '''
  )
  
  # 02. API 체크(sensor api)
  is_api_available = HttpSensor(   # HTTP로 통신하는 객체 만들기
    task_id = 'is_api_available',
    http_conn_id = 'opensea_api', # DB처럼 Airflow UI 상에 connection 만들어주어야 함 : 외부 통신 
    endpoint = 'api/v1/assets?collection=doodles-official&limit=1'
  )

  # 03. 데이터 불러오기 - Http
  extract_ntf = SimpleHttpOperator(
    task_id = 'extract_nft',   # 연결 생성한 api통신정보 그대로
    http_conn_id = 'opensea_api',
    endpoint = 'api/v1/assets?collection=doodles-official&limit=1',
    method = 'GET',  # api 가져오는 방식
    response_filter = lambda res: json.loads(res.text),   # response 결과: json to python 
    log_response=True  # 로그 찍기
  )

  # 04. 데이터 가공하기: PythonOperator
  process_nft = PythonOperator(
    task_id = 'process_nft',
    python_callable = _processing_nft # function
  )

  # 05. 데이터 저장하기: BashOperator
  store_nft = BashOperator(
    task_id = 'store_nft',
    # bash_command: commandline 처럼 bash 실행
    # bash_command = 'echo -e ".separator ","\n.import /tmp/processed_nft.csv nfts" | sqlite3 /Users/10590/.docker/airflow.db' # sqlit3 -> postgre & db directory 수정 필요
    bash_command = 'echo -e ".separator ","\n.import /tmp/processed_nft.csv nfts" | postgre /Users/10590/.docker/airflow.db' # comma 기준으로 separate해서 nfts 테이블에 저장(import)
  )
  
  # 태스크 간 의존성 연결해주기(UI 확인 가능)
  creating_table >> is_api_available >> extract_ntf >> process_nft >> store_nft
